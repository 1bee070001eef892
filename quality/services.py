"""QA writes: sample conversations into the review queue, score them, appeal, resolve appeals."""

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from chat.models import Conversation
from core import events
from core.api import ApplicationError
from quality import workflow
from quality.models import Criterion, CriterionScore, Review, Scorecard
from tickets.models import Status as TicketStatus
from tickets.models import Ticket

LOW_SATISFACTION = 2  # a rating of this or less (1 to 5) puts the conversation in the queue
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


def weighted_total(points: Sequence[tuple[Criterion, int]]) -> Decimal:
    """The score in percent: sum(points / max * weight) / sum(weight) * 100, rounded half up to 0.01.
    A critical criterion given 0 points makes the whole score 0."""
    if not points:
        raise ValueError("a scorecard needs at least one criterion")
    if any(criterion.critical and given == 0 for criterion, given in points):
        return Decimal("0.00")
    weights = sum(criterion.weight for criterion, _given in points)
    earned = sum((Decimal(given) / criterion.max_points * criterion.weight for criterion, given in points),
                 Decimal(0))
    return (earned / weights * HUNDRED).quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SampleResult:
    random: int
    low_satisfaction: int
    escalated: int

    @property
    def total(self) -> int:
        return self.random + self.low_satisfaction + self.escalated


def _local_range(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), zone),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone))


def review_sample(*, scorecard: Scorecard, start: date, end: date, share_percent: int, actor: Any,
                  rng: random.Random | None = None) -> SampleResult:
    """Queue for QA, among the conversations of [start, end] handled by an agent and not queued yet:
    every escalated ticket, every ticket or chat rated ≤ 2, and `share_percent` % of the rest at random.

    Tickets count once solved or closed, chats once ended, so QA scores finished work.
    """
    if not scorecard.active:
        raise ApplicationError(_("This scorecard is not active."),
                               fields={"scorecard": [_("Choose an active scorecard.")]})
    if end < start:
        raise ApplicationError(_("The end date is before the start date."), fields={"end": [_("Pick a later day.")]})
    if not 0 <= share_percent <= 100:
        raise ApplicationError(_("The share must be between 0 and 100."), fields={"share_percent": [_("0 to 100.")]})
    since, until = _local_range(start, end)
    chooser = rng or random.SystemRandom()
    queued_tickets = Review.objects.filter(ticket__isnull=False).values("ticket_id")
    queued_chats = Review.objects.filter(conversation__isnull=False).values("conversation_id")
    low_survey = (Q(survey__attitude__lte=LOW_SATISFACTION) | Q(survey__speed__lte=LOW_SATISFACTION)
                  | Q(survey__result__lte=LOW_SATISFACTION))
    tickets = (
        Ticket.objects.filter(created_at__gte=since, created_at__lt=until, assignee__isnull=False,
                              status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED])
        .exclude(pk__in=queued_tickets)
        .annotate(low=Case(When(low_survey, then=Value(True)), default=Value(False)))
        .values_list("pk", "assignee_id", "escalation_level", "low")
    )
    chats = (
        Conversation.objects.filter(started_at__gte=since, started_at__lt=until, agent__isnull=False,
                                    status=Conversation.Status.ENDED)
        .exclude(pk__in=queued_chats)
        .values_list("pk", "agent_id", "rating")
    )
    # (target field, target id, agent id, reason); the strongest reason wins.
    picked: list[tuple[str, int, int, str]] = []
    rest: list[tuple[str, int, int]] = []
    for pk, agent_id, escalation_level, low in tickets:
        if escalation_level > 0:
            picked.append(("ticket_id", pk, agent_id, Review.SampleReason.ESCALATED))
        elif low:
            picked.append(("ticket_id", pk, agent_id, Review.SampleReason.LOW_SATISFACTION))
        else:
            rest.append(("ticket_id", pk, agent_id))
    for pk, agent_id, rating in chats:
        if rating is not None and rating <= LOW_SATISFACTION:
            picked.append(("conversation_id", pk, agent_id, Review.SampleReason.LOW_SATISFACTION))
        else:
            rest.append(("conversation_id", pk, agent_id))
    share = math.ceil(len(rest) * share_percent / 100)
    picked.extend((*target, Review.SampleReason.RANDOM) for target in chooser.sample(rest, share))
    reviews = [Review(scorecard=scorecard, agent_id=agent_id, sample_reason=reason, **{field: pk})
               for field, pk, agent_id, reason in picked]
    with transaction.atomic():
        # A sampling running at the same time may queue the same conversation: the unique constraints
        # keep one review of it and this run skips it.
        bulk_create_with_history(reviews, Review, ignore_conflicts=True, default_user=actor)
        events.publish("qa.sampled", scorecard_id=scorecard.pk, count=len(reviews))
    counts = Counter(reason for *_target, reason in picked)
    return SampleResult(random=counts[Review.SampleReason.RANDOM],
                        low_satisfaction=counts[Review.SampleReason.LOW_SATISFACTION],
                        escalated=counts[Review.SampleReason.ESCALATED])


def _scoring_points(review: Review, points: Mapping[int, int]) -> list[tuple[Criterion, int]]:
    criteria = list(review.scorecard.criteria.all())
    errors: dict[str, list[str]] = {}
    given: list[tuple[Criterion, int]] = []
    for criterion in criteria:
        value = points.get(criterion.pk)
        if value is None or not 0 <= value <= criterion.max_points:
            errors[f"criterion_{criterion.pk}"] = [
                _("Give 0 to %(max)s points.") % {"max": criterion.max_points}]
        else:
            given.append((criterion, value))
    if errors:
        raise ApplicationError(_("Some criteria have no valid score."), fields=errors)
    if not criteria:
        raise ApplicationError(_("This scorecard has no criteria."))
    return given


def review_score(*, review_id: int, reviewer: Any, points: Mapping[int, int], comment: str) -> Review:
    """Score a queued review: points per criterion (criterion id → points), the weighted total, a comment."""
    with transaction.atomic():
        review = workflow.locked(review_id)
        if review.agent_id == reviewer.pk:
            raise ApplicationError(_("Nobody scores their own conversations."), code="own_review",
                                   status_code=403)
        given = _scoring_points(review, points)
        bulk_create_with_history(
            [CriterionScore(review=review, criterion=criterion, points=value) for criterion, value in given],
            CriterionScore, default_user=reviewer)
        review = workflow.WORKFLOW.transition(review, to=Review.Status.SCORED, actor=reviewer, changes={
            "score": weighted_total(given), "comment": comment.strip(), "reviewer": reviewer,
            "scored_at": timezone.now()})
        events.publish("qa.scored", review_id=review.pk, agent_id=review.agent_id)
    return review


def review_appeal(*, review_id: int, agent: Any, reason: str) -> Review:
    """The agent disputes their score, once, with a reason."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the score is wrong."), fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        review = workflow.locked(review_id)
        if review.agent_id != agent.pk:
            raise ApplicationError(_("Only the agent scored may appeal."), code="not_found", status_code=404)
        review = workflow.WORKFLOW.transition(review, to=Review.Status.APPEALED, actor=agent,
                                              changes={"appeal_reason": reason})
        events.publish("qa.appealed", review_id=review.pk, agent_id=review.agent_id)
    return review


def review_resolve_appeal(*, review_id: int, reviewer: Any, upheld: bool, response: str,
                          adjusted_score: Decimal | None = None) -> Review:
    """QA answers an appeal: upheld (the score becomes `adjusted_score`, the first one is kept) or rejected."""
    response = response.strip()
    if not response:
        raise ApplicationError(_("Answer the agent."), fields={"response": [_("This field is required.")]})
    if upheld and (adjusted_score is None or not 0 <= adjusted_score <= HUNDRED):
        raise ApplicationError(_("An upheld appeal needs the adjusted score."),
                               fields={"adjusted_score": [_("Enter a score from 0 to 100.")]})
    with transaction.atomic():
        review = workflow.locked(review_id)
        if review.agent_id == reviewer.pk:
            raise ApplicationError(_("Nobody resolves an appeal of their own."), code="own_review", status_code=403)
        if upheld:
            assert adjusted_score is not None
            review = workflow.WORKFLOW.transition(review, to=Review.Status.UPHELD, actor=reviewer, changes={
                "appeal_response": response, "original_score": review.score,
                "score": adjusted_score.quantize(CENTS, rounding=ROUND_HALF_UP)})
        else:
            review = workflow.WORKFLOW.transition(review, to=Review.Status.REJECTED, actor=reviewer,
                                                  changes={"appeal_response": response})
        events.publish("qa.appeal_resolved", review_id=review.pk, agent_id=review.agent_id, upheld=upheld)
    return review
