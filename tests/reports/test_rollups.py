"""The nightly rollup against the hand-computed day in tests/reports/factories.py, and against the
live query it replaces; re-running it changes nothing."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports import rollups, tasks
from reports.figures import Grain, totals
from reports.models import AfterSalesDaily, AgentActivityDaily, ChatDaily, RollupRun, TicketDaily
from tests.reports.factories import ServiceDay, service_day

pytestmark = pytest.mark.django_db

TICKET_MEASURES = ("created", "solved", "first_response_seconds", "first_responses", "handle_seconds", "handled",
                   "reopened", "satisfaction_sum", "satisfaction_count", "sla_breaches", "public_messages")


@pytest.fixture
def day() -> ServiceDay:
    return service_day()


def _ticket_rows(world: ServiceDay) -> dict[tuple[Any, ...], dict[str, int]]:
    return {
        (row.channel, row.agent_id): {m: getattr(row, m) for m in TICKET_MEASURES}
        for row in TicketDaily.objects.filter(day=world.day, team=world.team)
    }


def _zero(**figures: int) -> dict[str, int]:
    return {**dict.fromkeys(TICKET_MEASURES, 0), **figures}


def test_rollup_of_a_day_matches_the_hand_computed_figures(day: ServiceDay) -> None:
    rollups.rollup_day(day=day.day)

    a, b = day.agent_a.pk, day.agent_b.pk
    assert _ticket_rows(day) == {
        # t1: answered in 600 s, solved 13:00 (4 h after creation), reopened once, survey 5+4+3; 2 replies.
        ("web", a): _zero(created=1, solved=1, first_response_seconds=600, first_responses=1, handle_seconds=14_400,
                          handled=1, reopened=1, satisfaction_sum=12, satisfaction_count=1, public_messages=2),
        # t2: answered in 1,800 s, one SLA breach; 1 reply.
        ("email", a): _zero(created=1, first_response_seconds=1_800, first_responses=1, sla_breaches=1,
                            public_messages=1),
        # t3: created the day before at 15:00, solved at 09:00 = 18 h.
        ("web", b): _zero(solved=1, handle_seconds=64_800, handled=1),
        # Only the 00:30 ticket is D's; the 23:30 one belongs to the day before.
        ("phone", None): _zero(created=1),
    }
    chat = ChatDaily.objects.get(day=day.day, agent=day.agent_a)
    assert (chat.assigned, chat.wait_seconds, chat.ended, chat.handle_seconds, chat.handled, chat.rating_sum,
            chat.rating_count, chat.agent_messages) == (1, 300, 1, 1_200, 1, 4, 1, 2)
    activity = AgentActivityDaily.objects.get(day=day.day, agent=day.agent_a)
    assert (activity.messages, activity.active_hours) == (5, 3)  # replies at 9 and 10 o'clock, chat at 14
    aftersales = AfterSalesDaily.objects.get(day=day.day)
    assert (aftersales.store_id, aftersales.courier, aftersales.product_line, aftersales.requests,
            aftersales.requested_fen, aftersales.refunds, aftersales.refund_fen, aftersales.refund_seconds) == (
        day.store.pk, "SF", "digital", 1, 19_900, 1, 19_900, 5 * 3600)
    assert RollupRun.objects.filter(day=day.day).exists()


def test_rerunning_a_day_rewrites_it_without_duplicates(day: ServiceDay) -> None:
    rollups.rollup_day(day=day.day)
    first = _ticket_rows(day)
    rollups.rollup_day(day=day.day)
    assert _ticket_rows(day) == first
    assert TicketDaily.objects.filter(day=day.day).count() == 4
    assert AgentActivityDaily.objects.filter(day=day.day).count() == 1


def test_rollup_equals_the_live_query_it_stands_in_for(day: ServiceDay) -> None:
    first, last = day.day - timedelta(days=1), day.day
    live = {model: totals(model, first=first, last=last, by=("agent_id",), grain=Grain.DAY)
            for model in (TicketDaily, ChatDaily, AgentActivityDaily)}
    assert RollupRun.objects.count() == 0
    rollups.rollup_range(first=first, last=last)
    for model, figures in live.items():
        assert totals(model, first=first, last=last, by=("agent_id",), grain=Grain.DAY) == figures, model


def test_today_is_refused_and_the_command_backfills_a_range(day: ServiceDay) -> None:
    with pytest.raises(rollups.UnfinishedDay):
        rollups.rollup_range(first=day.day, last=rollups.local_today())
    with pytest.raises(CommandError):
        call_command("rollup_reports", "--from", day.day.isoformat(), "--to", rollups.local_today().isoformat())
    call_command("rollup_reports", "--from", (day.day - timedelta(days=1)).isoformat(), "--to", day.day.isoformat())
    assert set(RollupRun.objects.values_list("day", flat=True)) == {day.day - timedelta(days=1), day.day}


def test_nightly_task_rolls_up_yesterday() -> None:
    assert tasks.rollup_yesterday() == (rollups.local_today() - timedelta(days=1)).isoformat()
    assert RollupRun.objects.filter(day=rollups.local_today() - timedelta(days=1)).exists()
