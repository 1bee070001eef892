"""Per-agent KPIs over a date range, from the ticket, chat and activity rollups (plus today live).

Formulas (each a ratio of sums over the range, so a busy day weighs more than a quiet one; a
ratio with nothing below the line is shown as "-", never as 0):

- first response time = Σ(first agent reply - ticket created) / tickets first answered in the range
- handle time (tickets) = Σ(solved - created) / tickets solved in the range
- handle time (chats) = Σ(ended - taken by the agent) / chats the agent ended in the range
- resolution rate = tickets solved / tickets created in the range (both charged to the ticket's
  assignee; above 100 % when an agent clears older backlog)
- reopen rate = reopens / tickets solved in the range
- satisfaction = Σ(attitude + speed + result) / (3 x surveys answered): a 1-5 mean
- chat rating = Σ rating / chats rated: a 1-5 mean
- messages per hour = (public ticket replies + chat messages) / active hours, an active hour being a
  clock hour of a day in which the agent sent at least one of them
- QA score = the mean weighted score (0-100) of the agent's reviews QA scored in the range, an upheld
  appeal's corrected score counting instead of the first (quality.selectors.agent_qa_scores)

The table is a list of `KpiColumn`s: another figure is one more column and a value per agent, the
template and exports need no change.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from profiles import selectors as profile_selectors
from quality import selectors as quality_selectors
from reports.figures import Measures, totals
from reports.models import AgentActivityDaily, ChatDaily, TicketDaily

Kind = Literal["count", "seconds", "percent", "score", "rate", "fen"]


def ratio(top: int, bottom: int, scale: float = 1.0) -> float | None:
    return top / (bottom * scale) if bottom else None


@dataclass
class AgentFigures:
    agent_id: int
    name: str
    tickets: Measures = field(default_factory=dict)
    chats: Measures = field(default_factory=dict)
    activity: Measures = field(default_factory=dict)
    qa_score: float | None = None  # QA's average score (0-100) of the agent's reviews scored in the range

    def _t(self, name: str) -> int:
        return self.tickets.get(name, 0)

    def _c(self, name: str) -> int:
        return self.chats.get(name, 0)

    @property
    def first_response_seconds(self) -> float | None:
        return ratio(self._t("first_response_seconds"), self._t("first_responses"))

    @property
    def ticket_handle_seconds(self) -> float | None:
        return ratio(self._t("handle_seconds"), self._t("handled"))

    @property
    def chat_handle_seconds(self) -> float | None:
        return ratio(self._c("handle_seconds"), self._c("handled"))

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self._t("solved"), self._t("created"))

    @property
    def reopen_rate(self) -> float | None:
        return ratio(self._t("reopened"), self._t("solved"))

    @property
    def satisfaction(self) -> float | None:
        return ratio(self._t("satisfaction_sum"), self._t("satisfaction_count"), 3)

    @property
    def chat_rating(self) -> float | None:
        return ratio(self._c("rating_sum"), self._c("rating_count"))

    @property
    def messages_per_hour(self) -> float | None:
        return ratio(self.activity.get("messages", 0), self.activity.get("active_hours", 0))


@dataclass(frozen=True)
class KpiColumn:
    key: str
    label: StrOrPromise
    kind: Kind
    value: Callable[[AgentFigures], float | int | None]


KPI_COLUMNS: list[KpiColumn] = [
    KpiColumn("tickets_solved", _("Tickets solved"), "count", lambda a: a.tickets.get("solved", 0)),
    KpiColumn("first_response", _("First response time"), "seconds", lambda a: a.first_response_seconds),
    KpiColumn("ticket_handle", _("Handle time (tickets)"), "seconds", lambda a: a.ticket_handle_seconds),
    KpiColumn("chat_handle", _("Handle time (chats)"), "seconds", lambda a: a.chat_handle_seconds),
    KpiColumn("resolution_rate", _("Resolution rate"), "percent", lambda a: a.resolution_rate),
    KpiColumn("reopen_rate", _("Reopen rate"), "percent", lambda a: a.reopen_rate),
    KpiColumn("satisfaction", _("Satisfaction (1-5)"), "score", lambda a: a.satisfaction),
    KpiColumn("chat_rating", _("Chat rating (1-5)"), "score", lambda a: a.chat_rating),
    KpiColumn("messages_per_hour", _("Messages per hour"), "rate", lambda a: a.messages_per_hour),
    KpiColumn("qa_score", _("QA score (0-100)"), "score", lambda a: a.qa_score),
]


@dataclass(frozen=True)
class KpiRow:
    agent_id: int
    name: str
    values: list[tuple[KpiColumn, float | int | None]]


def agent_figures(*, first: date, last: date) -> list[AgentFigures]:
    """One `AgentFigures` per agent (a user with an agent profile) with any fact in the range, by name."""
    tickets = totals(TicketDaily, first=first, last=last, by=("agent_id",))
    chats = totals(ChatDaily, first=first, last=last, by=("agent_id",))
    activity = totals(AgentActivityDaily, first=first, last=last, by=("agent_id",))
    # Only agents are listed: a supervisor who assigned, noted or stepped in is not measured as one.
    agent_ids = profile_selectors.agent_ids_among(
        {key[0] for source in (tickets, chats, activity) for key in source if key[0] is not None})
    # QA results feed the KPIs: the average score of each agent's reviews scored in the range.
    qa_scores = quality_selectors.agent_qa_scores(sorted(agent_ids), first, last)
    names = profile_selectors.user_names(agent_ids)
    figures = [
        AgentFigures(agent_id=agent_id, name=names.get(agent_id, str(agent_id)),
                     tickets=tickets.get((agent_id,), {}), chats=chats.get((agent_id,), {}),
                     activity=activity.get((agent_id,), {}),
                     qa_score=float(qa_scores[agent_id]) if agent_id in qa_scores else None)
        for agent_id in agent_ids
    ]
    return sorted(figures, key=lambda figure: (figure.name, figure.agent_id))


def agent_kpis(*, first: date, last: date) -> list[KpiRow]:
    return [
        KpiRow(agent_id=figure.agent_id, name=figure.name,
               values=[(column, column.value(figure)) for column in KPI_COLUMNS])
        for figure in agent_figures(first=first, last=last)
    ]
