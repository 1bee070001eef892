"""A hand-computed day of service for the report tests: every timestamp is set, so every figure is known.

Day D is three days ago (Beijing calendar). The expected figures are written out in the tests that
use `service_day`, worked from the times below.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import count

from django.utils import timezone

from aftersales.models import AfterSalesRequest, Refund
from aftersales.services import setup as aftersales_setup
from chat.models import ChatMessage, Conversation
from profiles.models import Store, Team, User
from profiles.roles import Role
from reports.rollups import local_today
from tests.aftersales.factories import apply, make_order
from tests.factories import AgentProfileFactory, CustomerProfileFactory, StoreFactory, TeamFactory
from tickets.models import SatisfactionSurvey, SlaEvent, Ticket, TicketMessage

_numbers = count(1)


@dataclass
class ServiceDay:
    day: date
    team: Team
    agent_a: User
    agent_b: User
    customer: User
    store: Store
    request: AfterSalesRequest


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def make_ticket(*, customer: User, team: Team | None, assignee: User | None, channel: str, created: datetime,
                first_responded: datetime | None = None, solved: datetime | None = None) -> Ticket:
    ticket = Ticket.objects.create(number=f"TR{next(_numbers):010d}", customer=customer, team=team,
                                   assignee=assignee, channel=channel, subject="报表测试")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, first_responded_at=first_responded,
                                               solved_at=solved, status="solved" if solved else "open")
    Ticket.history.filter(id=ticket.pk).update(history_date=created)
    return Ticket.objects.get(pk=ticket.pk)


def move(ticket: Ticket, status: str, when: datetime) -> None:
    """A status change with its history row dated `when` (the reopen facts are read from history)."""
    ticket.status = status
    ticket.save()
    latest = Ticket.history.filter(id=ticket.pk).order_by("-history_id").first()
    assert latest is not None
    Ticket.history.filter(history_id=latest.history_id).update(history_date=when)


def reply(ticket: Ticket, author: User, when: datetime, *, kind: str = "reply", from_customer: bool = False) -> None:
    message = TicketMessage.objects.create(ticket=ticket, author=author, kind=kind, from_customer=from_customer,
                                           body="回复")
    TicketMessage.objects.filter(pk=message.pk).update(created_at=when)


def service_day() -> ServiceDay:
    d = local_today() - timedelta(days=3)
    team = TeamFactory.create()
    agent_a = AgentProfileFactory.create(user__display_name="甲 Agent A").user
    agent_b = AgentProfileFactory.create(user__display_name="乙 Agent B").user
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user

    # t1: web, agent A. Created 09:00, answered 09:10, solved 11:00, reopened 12:00, solved again 13:00.
    t1 = make_ticket(customer=customer, team=team, assignee=agent_a, channel="web", created=at(d, 9),
                     first_responded=at(d, 9, 10))
    move(t1, "solved", at(d, 11))
    move(t1, "open", at(d, 12))
    move(t1, "solved", at(d, 13))
    Ticket.objects.filter(pk=t1.pk).update(solved_at=at(d, 13))
    survey = SatisfactionSurvey.objects.create(ticket=t1, customer=customer)
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(attitude=5, speed=4, result=3, submitted_at=at(d, 13, 30))
    # t2: email, agent A. Created 10:00, answered 10:30, still open; its first-response SLA breached at 11:00.
    t2 = make_ticket(customer=customer, team=team, assignee=agent_a, channel="email", created=at(d, 10),
                     first_responded=at(d, 10, 30))
    breach = SlaEvent.objects.create(ticket=t2, target="resolution", kind="breach", due_at=at(d, 11))
    SlaEvent.objects.filter(pk=breach.pk).update(created_at=at(d, 11))
    # t3: web, agent B. Created the day before at 15:00, solved on D at 09:00.
    make_ticket(customer=customer, team=team, assignee=agent_b, channel="web",
                created=at(d - timedelta(days=1), 15), first_responded=at(d - timedelta(days=1), 16),
                solved=at(d, 9))
    # Unassigned phone tickets either side of midnight: 23:30 the day before (not D), 00:30 on D.
    make_ticket(customer=customer, team=team, assignee=None, channel="phone", created=at(d - timedelta(days=1), 23, 30))
    make_ticket(customer=customer, team=team, assignee=None, channel="phone", created=at(d, 0, 30))

    # Agent A's public replies at 09:10, 09:40, 10:30 (hours 9 and 10); a note and a customer reply don't count.
    reply(t1, agent_a, at(d, 9, 10))
    reply(t1, agent_a, at(d, 9, 40))
    reply(t2, agent_a, at(d, 10, 30))
    reply(t2, agent_a, at(d, 10, 40), kind="note")
    reply(t1, customer, at(d, 9, 20), from_customer=True)

    # A chat: waiting from 13:55, taken by A at 14:00, ended 14:20, rated 4; A wrote at 14:05 and 14:10.
    conversation = Conversation.objects.create(customer=customer, agent=agent_a, team=team, status="ended",
                                               rating=4)
    Conversation.objects.filter(pk=conversation.pk).update(
        waiting_since=at(d, 13, 55), assigned_at=at(d, 14), ended_at=at(d, 14, 20))
    for seq, minute in enumerate((5, 10), start=1):
        message = ChatMessage.objects.create(conversation=conversation, seq=seq, sender="agent", author=agent_a,
                                             body="您好")
        ChatMessage.objects.filter(pk=message.pk).update(created_at=at(d, 14, minute))

    # An after-sales request filed at 10:00 on D for 199.00, refunded in full at 15:00.
    aftersales_setup.reference_data_ensure()
    store = StoreFactory.create()
    request = apply(make_order(customer=customer, store=store, category="digital", paid_fen=19_900))
    AfterSalesRequest.objects.filter(pk=request.pk).update(created_at=at(d, 10))
    refund = Refund.objects.create(request=request, item=request.item, amount_fen=19_900,
                                   idempotency_key=f"report-test-{request.pk}", status=Refund.Status.SUCCEEDED)
    Refund.objects.filter(pk=refund.pk).update(updated_at=at(d, 15))
    return ServiceDay(day=d, team=team, agent_a=agent_a, agent_b=agent_b, customer=customer, store=store,
                      request=request)
