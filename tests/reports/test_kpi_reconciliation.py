"""Every agent KPI (reports/kpis.py) reconciled against a second computation, in Python, from the raw rows.

The day of `service_day` plus the rows that used to go wrong: a supervisor who answered and solved
tickets (listed as an agent before), and an imported ticket whose first response is stamped before
its creation (a negative duration before). The second computation reads tickets, messages, surveys,
chats, history and QA reviews directly, with none of the fact SQL, the rollups or the formulas' code.
"""

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from chat.models import ChatMessage, Conversation
from profiles.models import AgentProfile, User
from quality.models import Review
from reports import kpis, rollups
from tests.factories import UserFactory
from tests.quality.factories import finished_ticket, make_scorecard
from tests.reports.factories import ServiceDay, at, make_ticket, reply, service_day
from tickets.models import SatisfactionSurvey, Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def _on(day: date, moment: datetime | None) -> bool:
    return moment is not None and timezone.localtime(moment).date() == day


def _seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


def _mean(values: list[float], scale: int = 1) -> float | None:
    return sum(values) / (len(values) * scale) if values else None


def independent_kpis(day: date) -> dict[int, dict[str, Any]]:
    agents = set(AgentProfile.objects.values_list("user_id", flat=True))
    tickets = list(Ticket.objects.all())
    created: dict[int, int] = defaultdict(int)
    solved: dict[int, list[float]] = defaultdict(list)
    first: dict[int, list[float]] = defaultdict(list)
    for ticket in tickets:
        if ticket.assignee_id is None:
            continue
        created[ticket.assignee_id] += _on(day, ticket.created_at)
        if _on(day, ticket.solved_at):
            solved[ticket.assignee_id].append(_seconds(ticket.created_at, ticket.solved_at))  # type: ignore[arg-type]
        if _on(day, ticket.first_responded_at):
            first[ticket.assignee_id].append(_seconds(ticket.created_at, ticket.first_responded_at))  # type: ignore[arg-type]
    reopens: dict[int, int] = defaultdict(int)
    for ticket in tickets:
        versions = list(Ticket.history.filter(id=ticket.pk).order_by("history_id"))
        for before, after in itertools.pairwise(versions):
            if (after.status == "open" and before.status in ("solved", "closed") and _on(day, after.history_date)
                    and after.assignee_id is not None):
                reopens[after.assignee_id] += 1
    surveys: dict[int, list[float]] = defaultdict(list)
    for survey in SatisfactionSurvey.objects.select_related("ticket"):
        if _on(day, survey.submitted_at) and survey.ticket.assignee_id:
            surveys[survey.ticket.assignee_id].append(survey.attitude + survey.speed + survey.result)  # type: ignore[operator]
    chat_handle: dict[int, list[float]] = defaultdict(list)
    ratings: dict[int, list[float]] = defaultdict(list)
    for chat in Conversation.objects.filter(agent__isnull=False):
        if _on(day, chat.ended_at) and chat.agent_id is not None and chat.ended_at is not None:
            if chat.assigned_at:
                chat_handle[chat.agent_id].append(_seconds(chat.assigned_at, chat.ended_at))
            if chat.rating is not None:
                ratings[chat.agent_id].append(chat.rating)
    sent: dict[int, list[datetime]] = defaultdict(list)
    for message in TicketMessage.objects.filter(kind="reply", from_customer=False):
        if _on(day, message.created_at):
            sent[message.author_id].append(message.created_at)
    for chat_message in ChatMessage.objects.filter(sender="agent", recalled_at__isnull=True):
        if _on(day, chat_message.created_at):
            sent[chat_message.author_id].append(chat_message.created_at)  # type: ignore[index]
    qa: dict[int, list[Decimal]] = defaultdict(list)
    for review in Review.objects.filter(status=Review.Status.SCORED):
        if _on(day, review.scored_at):
            qa[review.agent_id].append(review.score)  # type: ignore[arg-type]

    active = {*created, *solved, *first, *reopens, *surveys, *chat_handle, *ratings, *sent}
    figures = {}
    for agent in active & agents:
        hours = {timezone.localtime(moment).replace(minute=0, second=0, microsecond=0) for moment in sent[agent]}
        solved_count = len(solved[agent])
        figures[agent] = {
            "tickets_solved": solved_count,
            "first_response": _mean(first[agent]),
            "ticket_handle": _mean(solved[agent]),
            "chat_handle": _mean(chat_handle[agent]),
            "resolution_rate": solved_count / created[agent] if created[agent] else None,
            "reopen_rate": reopens[agent] / solved_count if solved_count else None,
            "satisfaction": _mean(surveys[agent], 3),
            "chat_rating": _mean(ratings[agent]),
            "messages_per_hour": len(sent[agent]) / len(hours) if hours else None,
            "qa_score": float((sum(qa[agent], Decimal(0)) / len(qa[agent])).quantize(Decimal("0.01")))
            if qa[agent] else None,
        }
    return figures


def troublesome_rows(day: ServiceDay) -> User:
    """A supervisor doing some agent work, an imported ticket answered 'before' it was created, QA reviews."""
    d = day.day
    supervisor = UserFactory.create(roles=("supervisor",))
    stepped_in = make_ticket(customer=day.customer, team=day.team, assignee=supervisor, channel="web",
                             created=at(d, 8), first_responded=at(d, 8, 5), solved=at(d, 8, 30))
    reply(stepped_in, supervisor, at(d, 8, 5))
    make_ticket(customer=day.customer, team=day.team, assignee=day.agent_b, channel="email",
                created=at(d, 16), first_responded=at(d, 15, 30), solved=at(d, 15, 45))
    reply(stepped_in, day.agent_b, at(d, 16, 10))
    scorecard = make_scorecard()
    for score, hour in ((Decimal("90.00"), 11), (Decimal("71.50"), 16)):
        Review.objects.create(scorecard=scorecard, ticket=finished_ticket(day.customer, day.agent_b),
                              agent=day.agent_b, status=Review.Status.SCORED, score=score, scored_at=at(d, hour),
                              sample_reason=Review.SampleReason.RANDOM)
    return supervisor


@pytest.mark.parametrize("rolled_up", [True, False], ids=["from rollups", "live"])
def test_every_agent_kpi_matches_the_raw_rows(rolled_up: bool) -> None:
    day = service_day()
    supervisor = troublesome_rows(day)
    if rolled_up:
        rollups.rollup_day(day=day.day)
    reported = {row.agent_id: {column.key: value for column, value in row.values}
                for row in kpis.agent_kpis(first=day.day, last=day.day)}
    expected = independent_kpis(day.day)

    assert supervisor.pk not in reported  # did agent work, is not an agent
    assert set(reported) == set(expected) == {day.agent_a.pk, day.agent_b.pk}
    assert {column.key for column in kpis.KPI_COLUMNS} == set(expected[day.agent_a.pk])
    for agent_id, figures in expected.items():
        for key, value in figures.items():
            assert reported[agent_id][key] == pytest.approx(value), (agent_id, key)
    # B's only first response on D is the imported one, "before creation": no time, never below zero.
    assert reported[day.agent_b.pk]["first_response"] == 0
    for figures in reported.values():
        assert all(value is None or value >= 0 for value in figures.values())


def test_durations_never_go_negative_on_a_day_of_only_bad_rows() -> None:
    day = service_day()
    d = day.day + timedelta(days=1)
    make_ticket(customer=day.customer, team=day.team, assignee=day.agent_a, channel="web", created=at(d, 12),
                first_responded=at(d, 11), solved=at(d, 10))
    figures = {row.agent_id: {c.key: v for c, v in row.values} for row in kpis.agent_kpis(first=d, last=d)}
    assert figures[day.agent_a.pk]["first_response"] == 0 and figures[day.agent_a.pk]["ticket_handle"] == 0
