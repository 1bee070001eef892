"""QA: the weighted score, sampling (random share, low satisfaction, escalated), scoring, the appeal
workflow with its history, and the per-agent averages the KPI page reads."""

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.api import ApplicationError
from core.workflow import TransitionNotAllowed
from profiles.models import User
from quality import services
from quality.models import Criterion, Review
from quality.selectors import agent_qa_scores
from tests.quality.factories import DAY, finished_chat, finished_ticket, make_scorecard, queued_review
from tickets.models import SatisfactionSurvey, Status
from tickets.services.surveys import survey_create

pytestmark = pytest.mark.django_db


def _criteria(*spec: tuple[int, int, bool]) -> list[Criterion]:
    return [Criterion(pk=index, label=str(index), weight=weight, max_points=max_points, critical=critical)
            for index, (weight, max_points, critical) in enumerate(spec, start=1)]


def test_weighted_total_formula_against_hand_computed_figures() -> None:
    weighted = _criteria((2, 5, False), (1, 10, False), (1, 5, True))
    # (4/5·2 + 5/10·1 + 5/5·1) / 4 · 100 = 3.1 / 4 · 100
    assert services.weighted_total(list(zip(weighted, [4, 5, 5], strict=True))) == Decimal("77.50")
    assert services.weighted_total(list(zip(weighted, [5, 10, 5], strict=True))) == Decimal("100.00")
    # The critical criterion at 0 zeroes everything, however good the rest.
    assert services.weighted_total(list(zip(weighted, [5, 10, 0], strict=True))) == Decimal("0.00")
    # A non-critical 0 only costs its weight: (0 + 1 + 1) / 4 · 100.
    assert services.weighted_total(list(zip(weighted, [0, 10, 5], strict=True))) == Decimal("50.00")
    thirds = _criteria((1, 3, False), (1, 3, False), (1, 3, False))
    assert services.weighted_total(list(zip(thirds, [1, 1, 0], strict=True))) == Decimal("22.22")  # 22.222…
    assert services.weighted_total(list(zip(thirds, [2, 2, 2], strict=True))) == Decimal("66.67")  # half up


def test_sampling_takes_every_escalated_and_unhappy_conversation_and_a_random_share(
        make_user: Callable[..., User]) -> None:
    agent, qa, customer = make_user("agent"), make_user("qa"), make_user("customer")
    scorecard = make_scorecard()
    escalated = finished_ticket(customer, agent, escalation_level=1)
    unhappy = finished_ticket(customer, agent)
    survey, _token = survey_create(ticket=unhappy)
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(attitude=5, speed=2, result=4)
    plain = [finished_ticket(customer, agent, status=Status.CLOSED) for _n in range(8)]
    unhappy_chat = finished_chat(make_user("customer"), agent, rating=1)
    happy_chats = [finished_chat(make_user("customer"), agent, rating=5) for _n in range(2)]
    # Never sampled: still open, nobody handled it, outside the period, a chat still going.
    finished_ticket(customer, agent, status=Status.OPEN)
    finished_ticket(customer, None)
    finished_ticket(customer, agent, when=DAY - timedelta(days=30))
    finished_chat(make_user("customer"), agent, status="active")

    result = services.review_sample(scorecard=scorecard, start=date(2026, 11, 9), end=date(2026, 11, 10),
                                    share_percent=25, actor=qa, rng=random.Random(7))

    # 10 in the random pool (8 tickets, 2 chats): 25 % rounds up to 3.
    assert (result.escalated, result.low_satisfaction, result.random) == (1, 2, 3)
    reasons = dict(Review.objects.filter(ticket__isnull=False).values_list("ticket_id", "sample_reason"))
    assert reasons[escalated.pk] == "escalated" and reasons[unhappy.pk] == "low_satisfaction"
    assert Review.objects.get(conversation=unhappy_chat).sample_reason == "low_satisfaction"
    randoms = set(Review.objects.filter(sample_reason="random").values_list("ticket_id", "conversation_id"))
    pool = {(t.pk, None) for t in plain} | {(None, c.pk) for c in happy_chats}
    assert len(randoms) == 3 and randoms <= pool
    assert set(Review.objects.values_list("agent_id", flat=True)) == {agent.pk}
    assert Review.objects.filter(status="pending").count() == 6
    assert all(review.history.first().history_user == qa for review in Review.objects.all())

    # Sampling again never queues a conversation twice: only the 7 not yet taken remain (25 % → 2).
    again = services.review_sample(scorecard=scorecard, start=date(2026, 11, 9), end=date(2026, 11, 10),
                                   share_percent=25, actor=qa, rng=random.Random(7))
    assert (again.escalated, again.low_satisfaction, again.random) == (0, 0, 2)
    assert Review.objects.count() == 8
    with pytest.raises(IntegrityError), transaction.atomic():
        queued_review(scorecard, escalated)


@pytest.mark.parametrize(("field", "kwargs"), [
    ("end", {"start": date(2026, 11, 10), "end": date(2026, 11, 9), "share_percent": 10}),
    ("share_percent", {"start": date(2026, 11, 9), "end": date(2026, 11, 10), "share_percent": 101}),
])
def test_sampling_refuses_bad_input_naming_the_field(make_user: Callable[..., User], field: str,
                                                     kwargs: dict[str, object]) -> None:
    with pytest.raises(ApplicationError) as refused:
        services.review_sample(scorecard=make_scorecard(), actor=make_user("qa"), **kwargs)  # type: ignore[arg-type]
    assert field in refused.value.fields
    assert not Review.objects.exists()


def test_score_then_appeal_upheld_adjusts_the_score_and_keeps_history(make_user: Callable[..., User]) -> None:
    agent, qa = make_user("agent"), make_user("qa")
    scorecard = make_scorecard()
    review = queued_review(scorecard, finished_ticket(make_user("customer"), agent))
    first, second, critical = scorecard.criteria.order_by("position")

    scored = services.review_score(review_id=review.pk, reviewer=qa,
                                   points={first.pk: 4, second.pk: 5, critical.pk: 5}, comment="语气可以更友好")
    assert (scored.status, scored.score, scored.reviewer) == ("scored", Decimal("77.50"), qa)
    assert dict(scored.scores.values_list("criterion_id", "points")) == {first.pk: 4, second.pk: 5, critical.pk: 5}

    appealed = services.review_appeal(review_id=review.pk, agent=agent, reason="客户问题已经解决")
    assert appealed.status == "appealed"
    with pytest.raises(TransitionNotAllowed):  # once only
        services.review_appeal(review_id=review.pk, agent=agent, reason="再申诉一次")

    upheld = services.review_resolve_appeal(review_id=review.pk, reviewer=qa, upheld=True, response="同意",
                                            adjusted_score=Decimal("90"))
    assert (upheld.status, upheld.score, upheld.original_score) == ("upheld", Decimal("90.00"), Decimal("77.50"))
    history = list(upheld.history.order_by("history_date").values_list("status", "history_user_id"))
    assert history == [("pending", None), ("scored", qa.pk), ("appealed", agent.pk), ("upheld", qa.pk)]
    with pytest.raises(TransitionNotAllowed):
        services.review_appeal(review_id=review.pk, agent=agent, reason="还想申诉")


def test_appeal_rejected_keeps_the_score(make_user: Callable[..., User]) -> None:
    agent, qa = make_user("agent"), make_user("qa")
    scorecard = make_scorecard((1, 5, False))
    review = queued_review(scorecard, finished_ticket(make_user("customer"), agent))
    criterion = scorecard.criteria.get()
    services.review_score(review_id=review.pk, reviewer=qa, points={criterion.pk: 3}, comment="")
    services.review_appeal(review_id=review.pk, agent=agent, reason="不同意")
    rejected = services.review_resolve_appeal(review_id=review.pk, reviewer=qa, upheld=False, response="维持原判")
    assert (rejected.status, rejected.score, rejected.original_score) == ("rejected", Decimal("60.00"), None)


def test_scoring_refusals_leave_nothing_half_written(make_user: Callable[..., User]) -> None:
    agent, qa = make_user("agent"), make_user("qa")
    scorecard = make_scorecard((1, 5, False), (1, 5, False))
    review = queued_review(scorecard, finished_ticket(make_user("customer"), agent))
    first, second = scorecard.criteria.order_by("position")
    with pytest.raises(ApplicationError) as refused:
        services.review_score(review_id=review.pk, reviewer=qa, points={first.pk: 3, second.pk: 6}, comment="")
    assert list(refused.value.fields) == [f"criterion_{second.pk}"]
    with pytest.raises(ApplicationError):  # nobody scores their own work
        services.review_score(review_id=review.pk, reviewer=agent, points={first.pk: 3, second.pk: 3}, comment="")
    with pytest.raises(TransitionNotAllowed):  # nothing to appeal before a score
        services.review_appeal(review_id=review.pk, agent=agent, reason="?")
    with pytest.raises(ApplicationError):  # someone else's review
        services.review_appeal(review_id=review.pk, agent=make_user("agent"), reason="?")
    review.refresh_from_db()
    assert (review.status, review.score, review.scores.count()) == ("pending", None, 0)


def test_agent_qa_scores_average_counted_reviews_in_the_period(make_user: Callable[..., User]) -> None:
    alice, bob, idle, qa = make_user("agent"), make_user("agent"), make_user("agent"), make_user("qa")
    scorecard = make_scorecard((1, 4, False))
    criterion = scorecard.criteria.get()
    customer = make_user("customer")

    def scored(agent: User, points: int) -> Review:
        review = queued_review(scorecard, finished_ticket(customer, agent))
        return services.review_score(review_id=review.pk, reviewer=qa, points={criterion.pk: points}, comment="")

    scored(alice, 4)  # 100
    scored(alice, 2)  # 50
    appealed = scored(bob, 3)  # 75, then upheld to 95
    services.review_appeal(review_id=appealed.pk, agent=bob, reason="理由")
    services.review_resolve_appeal(review_id=appealed.pk, reviewer=qa, upheld=True, response="好",
                                   adjusted_score=Decimal(95))
    old = scored(bob, 0)
    Review.objects.filter(pk=old.pk).update(scored_at=timezone.now() - timedelta(days=40))
    queued_review(scorecard, finished_ticket(customer, idle))  # pending: not a score yet

    today = timezone.localdate()
    scores = agent_qa_scores([alice.pk, bob.pk, idle.pk], today - timedelta(days=7), today)
    assert scores == {alice.pk: Decimal("75.00"), bob.pk: Decimal("95.00")}
    assert agent_qa_scores([alice.pk], today - timedelta(days=7), today - timedelta(days=1)) == {}
