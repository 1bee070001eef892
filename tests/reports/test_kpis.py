"""Per-agent KPI formulas (reports/kpis.py docstring) against the hand-computed day in factories.py."""

from datetime import timedelta
from decimal import Decimal

import pytest

from quality.models import Review
from reports import kpis, rollups
from reports.builder import ReportSpec, build
from tests.quality.factories import finished_ticket, make_scorecard
from tests.reports.factories import at, reply, service_day
from tickets.models import Ticket
from tickets.services.rules import automation_account

pytestmark = pytest.mark.django_db


def _by_agent(rows: list[kpis.KpiRow]) -> dict[int, dict[str, float | int | None]]:
    return {row.agent_id: {column.key: value for column, value in row.values} for row in rows}


@pytest.mark.parametrize("rolled_up", [True, False], ids=["from rollups", "live"])
def test_agent_kpis_match_hand_computed_figures(rolled_up: bool) -> None:
    day = service_day()
    if rolled_up:
        rollups.rollup_day(day=day.day)
    figures = _by_agent(kpis.agent_kpis(first=day.day, last=day.day))

    assert figures[day.agent_a.pk] == {
        "tickets_solved": 1,
        "first_response": (600 + 1_800) / 2,       # t1 in 10 min, t2 in 30 min
        "ticket_handle": 4 * 3600,                  # t1: 09:00 -> 13:00
        "chat_handle": 20 * 60,                     # taken 14:00, ended 14:20
        "resolution_rate": 1 / 2,                   # solved t1 of t1 and t2 created
        "reopen_rate": 1 / 1,                       # t1 reopened once, one solve
        "satisfaction": (5 + 4 + 3) / 3,
        "chat_rating": 4,
        "messages_per_hour": 5 / 3,                 # 3 replies + 2 chat messages in hours 9, 10 and 14
        "qa_score": None,                           # nobody reviewed yet
    }
    assert figures[day.agent_b.pk] == {
        "tickets_solved": 1, "first_response": None, "ticket_handle": 18 * 3600, "chat_handle": None,
        "resolution_rate": None, "reopen_rate": 0.0, "satisfaction": None, "chat_rating": None,
        "messages_per_hour": None, "qa_score": None,
    }


def test_a_range_sums_before_dividing() -> None:
    """A two-day range is a ratio of sums, not a mean of daily ratios."""
    day = service_day()
    figures = _by_agent(kpis.agent_kpis(first=day.day - timedelta(days=1), last=day.day))
    # Agent B's t3 was created the day before and solved on D: 1 solved / 1 created over both days.
    assert figures[day.agent_b.pk]["resolution_rate"] == 1.0
    assert figures[day.agent_b.pk]["first_response"] == 3600



def test_qa_scores_feed_the_kpis_as_the_mean_of_the_days_reviews() -> None:
    day = service_day()
    scorecard = make_scorecard()
    for score, scored_at in ((Decimal("80.00"), at(day.day, 11)), (Decimal("65.00"), at(day.day, 15)),
                             (Decimal("10.00"), at(day.day - timedelta(days=1), 15))):  # the day before
        Review.objects.create(scorecard=scorecard, ticket=finished_ticket(day.customer, day.agent_a),
                              agent=day.agent_a, status=Review.Status.SCORED, score=score, scored_at=scored_at,
                              sample_reason=Review.SampleReason.RANDOM)
    figures = _by_agent(kpis.agent_kpis(first=day.day, last=day.day))
    assert figures[day.agent_a.pk]["qa_score"] == (80 + 65) / 2
    assert figures[day.agent_b.pk]["qa_score"] is None


@pytest.mark.parametrize("rolled_up", [True, False], ids=["from rollups", "live"])
def test_the_automation_account_is_no_agent_in_reports(rolled_up: bool) -> None:
    """Automations and triggers reply as an account with the agent role but no agent profile: its replies are
    not an agent's work, so neither the KPI page nor the report builder's agent rows list it."""
    day = service_day()
    robot = automation_account()
    ticket = Ticket.objects.filter(assignee=day.agent_a).first()
    assert ticket is not None
    reply(ticket, robot, at(day.day, 15))
    if rolled_up:
        rollups.rollup_day(day=day.day)
    listed = {row.agent_id for row in kpis.agent_kpis(first=day.day, last=day.day)}
    assert robot.pk not in listed and day.agent_a.pk in listed
    built = build(ReportSpec("tickets", "agent", ["created"]), first=day.day, last=day.day)
    labels = [label for label, _values in built.rows]
    assert robot.display_name not in labels and str(robot.pk) not in labels
    assert day.agent_a.display_name in labels
