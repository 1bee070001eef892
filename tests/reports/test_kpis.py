"""Per-agent KPI formulas (reports/kpis.py docstring) against the hand-computed day in factories.py."""

from datetime import timedelta
from decimal import Decimal

import pytest

from quality.models import Review
from reports import kpis, rollups
from tests.quality.factories import finished_ticket, make_scorecard
from tests.reports.factories import at, service_day

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
