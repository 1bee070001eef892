"""The custom report builder: one dimension x chosen measures over a date range, from the rollups.

A report is a `ReportSpec` (source, dimension, measures, grain), stored as JSON on a `SavedReport`.
Ticket reports group `TicketDaily` by date, team, channel or agent; after-sales reports group
`AfterSalesDaily` by date, request type, product line, reason, merchant or courier. Measures are
the same ratio-of-sums formulas as the KPI page (reports/kpis.py), so the figures agree.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from aftersales import selectors as aftersales_selectors
from profiles import selectors as profile_selectors
from reports.figures import Grain, Measures, totals
from reports.kpis import Kind, ratio
from reports.models import AfterSalesDaily, TicketDaily
from tickets.models import Channel


@dataclass(frozen=True)
class Measure:
    label: StrOrPromise
    kind: Kind
    value: Callable[[Measures], float | int | None]


def _sum(name: str) -> Callable[[Measures], int]:
    return lambda figures: figures.get(name, 0)


def _mean(top: str, bottom: str, scale: float = 1.0) -> Callable[[Measures], float | None]:
    return lambda figures: ratio(figures.get(top, 0), figures.get(bottom, 0), scale)


@dataclass(frozen=True)
class Source:
    label: StrOrPromise
    model: type[Model]
    # Dimension key -> rollup column ("" for the date, grouped by the spec's grain).
    dimensions: dict[str, str]
    measures: dict[str, Measure]
    labels: Callable[[str], dict[Any, str]]


def _ticket_labels(dimension: str) -> dict[Any, str]:
    if dimension == "team":
        return {**profile_selectors.team_names(), None: str(_("No team"))}
    if dimension == "channel":
        return {value: str(label) for value, label in Channel.choices}
    return {}


def _aftersales_labels(dimension: str) -> dict[Any, str]:
    if dimension == "type":
        return aftersales_selectors.request_type_labels()
    if dimension == "reason":
        return {pk: names[0] for pk, names in aftersales_selectors.reason_names().items()}
    if dimension == "merchant":
        return {pk: merchant for pk, (_store, _id, merchant) in profile_selectors.store_merchants().items()}
    if dimension == "courier":
        return {**aftersales_selectors.courier_labels(), "": str(_("Not shipped"))}
    return {}


DIMENSION_LABELS: dict[str, StrOrPromise] = {
    "date": _("Date"), "team": _("Team"), "channel": _("Channel"), "agent": _("Agent"), "type": _("Type"),
    "product_line": _("Product line"), "reason": _("Reason"), "merchant": _("Merchant"), "courier": _("Courier"),
}

SOURCES: dict[str, Source] = {
    "tickets": Source(
        label=_("Tickets"), model=TicketDaily,
        dimensions={"date": "", "team": "team_id", "channel": "channel", "agent": "agent_id"},
        measures={
            "created": Measure(_("Tickets created"), "count", _sum("created")),
            "solved": Measure(_("Tickets solved"), "count", _sum("solved")),
            "first_response": Measure(_("First response time"), "seconds",
                                      _mean("first_response_seconds", "first_responses")),
            "handle": Measure(_("Handle time (tickets)"), "seconds", _mean("handle_seconds", "handled")),
            "resolution_rate": Measure(_("Resolution rate"), "percent", _mean("solved", "created")),
            "reopen_rate": Measure(_("Reopen rate"), "percent", _mean("reopened", "solved")),
            "satisfaction": Measure(_("Satisfaction (1-5)"), "score",
                                    _mean("satisfaction_sum", "satisfaction_count", 3)),
            "sla_breaches": Measure(_("SLA breaches"), "count", _sum("sla_breaches")),
        },
        labels=_ticket_labels,
    ),
    "aftersales": Source(
        label=_("After-sales"), model=AfterSalesDaily,
        dimensions={"date": "", "type": "request_type", "product_line": "product_line", "reason": "reason_id",
                    "merchant": "store_id", "courier": "courier"},
        measures={
            "requests": Measure(_("Requests"), "count", _sum("requests")),
            "refunds": Measure(_("Refunds"), "count", _sum("refunds")),
            "refund_rate": Measure(_("Refund rate"), "percent", _mean("refunds", "requests")),
            "refund_fen": Measure(_("Refunded"), "fen", _sum("refund_fen")),
            "refund_time": Measure(_("Mean refund time"), "seconds", _mean("refund_seconds", "refunds")),
        },
        labels=_aftersales_labels,
    ),
}


@dataclass(frozen=True)
class ReportSpec:
    source: str
    dimension: str
    measures: list[str] = field(default_factory=list)
    grain: str = Grain.DAY.value

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BuiltReport:
    dimension: StrOrPromise
    columns: list[tuple[str, Measure]]
    rows: list[tuple[str, list[tuple[Measure, float | int | None]]]]


def build(spec: ReportSpec, *, first: date, last: date) -> BuiltReport:
    source = SOURCES[spec.source]
    column = source.dimensions[spec.dimension]
    if column:
        figures = totals(source.model, first=first, last=last, by=(column,))
    else:
        figures = totals(source.model, first=first, last=last, grain=Grain(spec.grain))
    labels = source.labels(spec.dimension)
    if spec.dimension == "agent":
        # Only agents are rows, as on the KPI page: a supervisor's or the automation account's replies are not
        # an agent's work (the automation account has the agent role but no agent profile).
        agent_ids = profile_selectors.agent_ids_among(key[0] for key in figures if key[0] is not None)
        figures = {key: measures for key, measures in figures.items() if key[0] is None or key[0] in agent_ids}
        labels = profile_selectors.user_names(agent_ids)
    merged: dict[str, Measures] = {}
    for (key,), measures in figures.items():
        # Stores of one merchant fold into one row, as on the after-sales page.
        label = key.isoformat() if isinstance(key, date) else labels.get(key, str(key))
        row = merged.setdefault(label, dict.fromkeys(measures, 0))
        for name, value in measures.items():
            row[name] += value
    columns = [(key, source.measures[key]) for key in spec.measures]
    return BuiltReport(
        dimension=DIMENSION_LABELS[spec.dimension], columns=columns,
        rows=[(label, [(measure, measure.value(row)) for _key, measure in columns])
              for label, row in sorted(merged.items())],
    )
