"""Reads for the report pages: headline counts, the live board, trends and after-sales figures."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from aftersales import selectors as aftersales_selectors
from chat import selectors as chat_selectors
from profiles import selectors as profile_selectors
from profiles.models import AgentProfile, CustomerProfile, Store, Team
from reports.figures import Grain, period_start, totals
from reports.models import AfterSalesDaily, ExportJob, TicketDaily
from tickets import selectors as ticket_selectors
from tickets.models import Channel

# COUNT(*) over the customer table is too dear for every page view; a minute-old figure is fine.
HEADLINE_CACHE_KEY = "reports:headline:v1"
HEADLINE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Headline:
    customers: int
    agents_online: int
    agents_away: int
    agents_offline: int
    teams: int
    stores: int

    @property
    def agents(self) -> int:
        return self.agents_online + self.agents_away + self.agents_offline


def headline() -> Headline:
    cached = cache.get(HEADLINE_CACHE_KEY)
    if isinstance(cached, Headline):
        return cached
    fresh = _count_headline()
    cache.set(HEADLINE_CACHE_KEY, fresh, HEADLINE_CACHE_SECONDS)
    return fresh


def _count_headline() -> Headline:
    presence = AgentProfile.Presence
    agents = AgentProfile.objects.aggregate(
        online=Count("pk", filter=Q(presence=presence.ONLINE)),
        away=Count("pk", filter=Q(presence=presence.AWAY)),
        offline=Count("pk", filter=Q(presence=presence.OFFLINE)),
    )
    return Headline(
        customers=CustomerProfile.objects.count(),
        agents_online=agents["online"],
        agents_away=agents["away"],
        agents_offline=agents["offline"],
        teams=Team.objects.count(),
        stores=Store.objects.count(),
    )


@dataclass(frozen=True)
class TeamLoad:
    team: str
    open: int
    at_risk: int
    breached: int
    waiting_chats: int


@dataclass(frozen=True)
class LiveBoard:
    presence: dict[str, int]
    teams: list[TeamLoad]

    @property
    def waiting_chats(self) -> int:
        return sum(team.waiting_chats for team in self.teams)

    @property
    def at_risk(self) -> int:
        return sum(team.at_risk for team in self.teams)

    @property
    def breached(self) -> int:
        return sum(team.breached for team in self.teams)


def live_board() -> LiveBoard:
    """Agents by presence, and per team: open tickets, due within the hour, past due, waiting chats."""
    names = profile_selectors.team_names()
    loads = {row["team_id"]: row for row in ticket_selectors.sla_risk_by_team()}
    waiting = chat_selectors.waiting_by_team()
    no_team = str(_("No team"))
    teams = [
        TeamLoad(team=names.get(team_id, no_team) if team_id else no_team,
                 open=loads.get(team_id, {}).get("open", 0), at_risk=loads.get(team_id, {}).get("at_risk", 0),
                 breached=loads.get(team_id, {}).get("breached", 0), waiting_chats=waiting.get(team_id, 0))
        for team_id in set(loads) | set(waiting)
    ]
    return LiveBoard(presence=profile_selectors.agent_presence_counts(),
                     teams=sorted(teams, key=lambda load: (-load.breached, -load.at_risk, load.team)))


@dataclass(frozen=True)
class TrendSeries:
    key: str
    label: str
    created: list[int]
    solved: list[int]
    first_response_minutes: list[float | None]
    sla_breaches: list[int]


@dataclass(frozen=True)
class Trends:
    periods: list[date]
    series: list[TrendSeries]

    @property
    def table(self) -> list[tuple[date, list[tuple[int, int]]]]:
        """Per period, (created, solved) for each series in order: the rows of the page's table."""
        return [(period, [(series.created[index], series.solved[index]) for series in self.series])
                for index, period in enumerate(self.periods)]


# Enough days to land in the next period from the first day of any period (a month is at most 31).
_STEP = {Grain.DAY: timedelta(days=1), Grain.WEEK: timedelta(days=7), Grain.MONTH: timedelta(days=32)}


def _periods(first: date, last: date, grain: Grain) -> list[date]:
    periods = []
    period = period_start(first, grain)
    while period <= last:
        periods.append(period)
        period = period_start(period + _STEP[grain], grain)
    return periods


def _labels(by: str) -> dict[Any, str]:
    if by == "team":
        return {**profile_selectors.team_names(), None: str(_("No team"))}
    return {value: str(label) for value, label in Channel.choices}


def trends(*, first: date, last: date, grain: Grain, by: str) -> Trends:
    """Ticket figures per period (day / week / month, every period of the range) per team or per channel."""
    column = {"team": "team_id", "channel": "channel"}[by]
    figures = totals(TicketDaily, first=first, last=last, by=(column,), grain=grain)
    periods = _periods(first, last, grain)
    labels = _labels(by)
    series = []
    for key in sorted({key[1] for key in figures}, key=lambda key: labels.get(key, str(key))):
        rows = [figures.get((period, key), {}) for period in periods]
        series.append(TrendSeries(
            key=str(key), label=labels.get(key, str(key)),
            created=[row.get("created", 0) for row in rows], solved=[row.get("solved", 0) for row in rows],
            first_response_minutes=[
                round(row["first_response_seconds"] / row["first_responses"] / 60, 1)
                if row.get("first_responses") else None for row in rows],
            sla_breaches=[row.get("sla_breaches", 0) for row in rows],
        ))
    return Trends(periods=periods, series=series)


@dataclass(frozen=True)
class AfterSalesRow:
    label: str
    requests: int
    share: float
    refunds: int
    refund_fen: int
    refund_seconds: int

    @property
    def refund_rate(self) -> float | None:
        return self.refunds / self.requests if self.requests else None

    @property
    def mean_refund_seconds(self) -> float | None:
        return self.refund_seconds / self.refunds if self.refunds else None


AFTERSALES_DIMENSIONS = ("reason", "merchant", "product_line", "courier")


def aftersales_figures(*, first: date, last: date) -> dict[str, list[AfterSalesRow]]:
    """Requests, their share of all requests, refunds (count, fen, mean time) per reason, merchant,
    product line and delivering courier; biggest first."""
    reasons = aftersales_selectors.reason_names()
    stores = profile_selectors.store_merchants()
    couriers = aftersales_selectors.courier_labels()
    english = not get_language().startswith("zh")
    labels: dict[str, Callable[[Any], str]] = {
        "reason": lambda key: reasons.get(key, (str(key), str(key)))[1 if english else 0],
        "merchant": lambda key: stores[key][2] if key in stores else str(key),
        "product_line": str,
        "courier": lambda key: couriers.get(key, str(_("Not shipped"))),
    }
    columns = {"reason": "reason_id", "merchant": "store_id", "product_line": "product_line", "courier": "courier"}
    # One read over every combination, folded per dimension here: the combinations are few (reasons x
    # stores x couriers x product lines that occurred), and the rollup is read once instead of four times.
    figures = totals(AfterSalesDaily, first=first, last=last, by=tuple(columns.values()))
    result = {}
    for position, dimension in enumerate(AFTERSALES_DIMENSIONS):
        merged: dict[str, dict[str, int]] = {}
        for key, measures in figures.items():
            # Several stores of one merchant fold into one merchant row.
            row = merged.setdefault(labels[dimension](key[position]), dict.fromkeys(measures, 0))
            for measure, value in measures.items():
                row[measure] += value
        everything = sum(row["requests"] for row in merged.values())
        result[dimension] = sorted(
            (AfterSalesRow(label=label, requests=row["requests"],
                           share=row["requests"] / everything if everything else 0.0, refunds=row["refunds"],
                           refund_fen=row["refund_fen"], refund_seconds=row["refund_seconds"])
             for label, row in merged.items()),
            key=lambda row: (-row.requests, -row.refund_fen, row.label),
        )
    return result


EXPORT_LIST_LIMIT = 20


def exports_for(user: Any) -> list[ExportJob]:
    return list(ExportJob.objects.filter(owner=user).order_by("-created_at", "-id")[:EXPORT_LIST_LIMIT])


def export_for_owner(user: Any, job_id: int) -> ExportJob:
    """The job if `user` asked for it; anyone else gets a 404, not a hint that it exists."""
    job = ExportJob.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise Http404
    return job
