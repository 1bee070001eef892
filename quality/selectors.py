"""QA reads: the review queue, one review with what was said, an agent's own scores, and the average QA
score per agent that the KPI pages show."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from chat.models import ChatMessage
from quality.models import Criterion, CriterionScore, Review, Scorecard
from tickets.models import TicketMessage

QUEUE_LIMIT = 100
TRANSCRIPT_LIMIT = 200
# Reviews with a score that counts: an appealed one keeps its score until QA answers.
COUNTED = (Review.Status.SCORED, Review.Status.APPEALED, Review.Status.UPHELD, Review.Status.REJECTED)


def _reviews() -> QuerySet[Review]:
    return Review.objects.select_related("scorecard", "agent", "reviewer", "ticket", "conversation")


def active_scorecards() -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(active=True).order_by("name")


def review_queue(status: str | None = None, *, limit: int = QUEUE_LIMIT) -> list[Review]:
    """Reviews in `status` (default: what QA must act on: waiting and appealed), oldest first."""
    statuses = [status] if status else [Review.Status.PENDING, Review.Status.APPEALED]
    return list(_reviews().filter(status__in=statuses).order_by("id")[:limit])


def queue_counts() -> dict[str, int]:
    # Reviews are sampled work, a small table next to tickets, so counting it per request is cheap.
    counts = dict(Review.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {str(status): counts.get(status, 0) for status in Review.Status.values}


@dataclass(frozen=True)
class Line:
    when: datetime
    who: str
    text: str
    internal: bool = False


def review_detail(review_id: int) -> tuple[Review, list[Criterion], list[Line]]:
    """The review with its scorecard's criteria (each with `given` points once scored) and the transcript."""
    review = (
        _reviews().prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.order_by("pk")))
        .filter(pk=review_id).first()
    )
    if review is None:
        raise Http404("review not found")
    given = {score.criterion_id: score.points for score in review.scores.all()}
    criteria = list(review.scorecard.criteria.all())
    for criterion in criteria:
        criterion.given = given.get(criterion.pk)  # type: ignore[attr-defined]
    return review, criteria, _transcript(review)


def _transcript(review: Review) -> list[Line]:
    if review.ticket_id is not None:
        messages = (TicketMessage.objects.filter(ticket_id=review.ticket_id).select_related("author")
                    .order_by("created_at", "id")[:TRANSCRIPT_LIMIT])
        return [Line(when=m.created_at, who=str(m.author), text=m.body, internal=m.is_note) for m in messages]
    chat = (ChatMessage.objects.filter(conversation=review.conversation).select_related("author")
            .order_by("seq")[:TRANSCRIPT_LIMIT])
    return [Line(when=m.created_at, who=str(m.author) if m.author else m.get_sender_display(),
                 text=m.body or m.get_kind_display()) for m in chat]


def review_history(review: Review) -> list[Any]:
    return list(review.history.select_related("history_user").order_by("history_date", "history_id"))


def reviews_of_agent(agent: Any, *, limit: int = QUEUE_LIMIT) -> list[Review]:
    """An agent's own scored reviews, newest first (pending ones are QA's business until scored)."""
    return list(_reviews().filter(agent_id=agent.pk, status__in=COUNTED).order_by("-scored_at", "-id")[:limit])


def review_of_agent(agent: Any, review_id: int) -> Review:
    """Fetch and check in one step: someone else's review is indistinguishable from none."""
    review = _reviews().filter(pk=review_id, agent_id=agent.pk, status__in=COUNTED).first()
    if review is None:
        raise Http404("review not found")
    return review


def _bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """[start, end) as datetimes; plain dates are whole local days, `end` included."""
    zone = timezone.get_current_timezone()
    if not isinstance(start, datetime):
        start = timezone.make_aware(datetime.combine(start, time.min), zone)
    if not isinstance(end, datetime):
        end = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    return start, end


def agent_qa_scores(agent_ids: list[int], start: date | datetime, end: date | datetime) -> dict[int, Decimal]:
    """The average QA score (percent, 0 to 100) of each agent over reviews scored in the period.

    Dates are whole days in Beijing time with `end` included; datetimes are a half-open [start, end).
    Agents without a scored review in the period are absent. One query.
    """
    since, until = _bounds(start, end)
    rows = (
        Review.objects.filter(agent_id__in=agent_ids, status__in=COUNTED, scored_at__gte=since, scored_at__lt=until)
        .values_list("agent_id").annotate(average=Avg("score")).order_by()
    )
    return {agent_id: Decimal(average).quantize(Decimal("0.01")) for agent_id, average in rows}
