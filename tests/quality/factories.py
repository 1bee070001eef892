"""QA test data: a scorecard and finished conversations handled by an agent, moved to a known day."""

from datetime import datetime

from django.utils import timezone

from chat.models import Conversation
from profiles.models import User
from quality.models import Criterion, Review, Scorecard
from tests.chat.factories import start_chat
from tickets import services as ticket_services
from tickets.models import Status, Ticket

DAY = datetime(2026, 11, 10, 10, 0, tzinfo=timezone.get_default_timezone())


def make_scorecard(*criteria: tuple[int, int, bool], name: str = "通用质检") -> Scorecard:
    """`criteria` as (weight, max points, critical)."""
    scorecard = Scorecard.objects.create(name=name)
    for position, (weight, max_points, critical) in enumerate(criteria or ((2, 5, False), (1, 10, False),
                                                                          (1, 5, True))):
        Criterion.objects.create(scorecard=scorecard, label=f"标准{position + 1}", weight=weight,
                                 max_points=max_points, critical=critical, position=position)
    return scorecard


def finished_ticket(customer: User, agent: User | None, *, when: datetime = DAY, status: str = Status.SOLVED,
                    escalation_level: int = 0) -> Ticket:
    ticket = ticket_services.ticket_create(customer=customer, subject="发票问题", body="请开发票")
    Ticket.objects.filter(pk=ticket.pk).update(status=status, assignee=agent, escalation_level=escalation_level,
                                               created_at=when)
    return Ticket.objects.get(pk=ticket.pk)


def finished_chat(customer: User, agent: User | None, *, rating: int | None = None, when: datetime = DAY,
                  status: str = Conversation.Status.ENDED) -> Conversation:
    conversation = start_chat(customer)
    Conversation.objects.filter(pk=conversation.pk).update(status=status, agent=agent, rating=rating,
                                                           started_at=when)
    return Conversation.objects.get(pk=conversation.pk)


def queued_review(scorecard: Scorecard, ticket: Ticket) -> Review:
    assert ticket.assignee_id is not None
    return Review.objects.create(scorecard=scorecard, ticket=ticket, agent_id=ticket.assignee_id,
                                 sample_reason=Review.SampleReason.RANDOM)
