from collections.abc import Callable

import pytest

from profiles.models import User
from tests.factories import CustomerProfileFactory
from tickets import services as ticket_services
from tickets.models import Notification, Ticket
from tickets.services import notifications


def notify_user(user: User, *, text: str = "@wanglei 请看一下这个退款", ticket: Ticket | None = None,
                kind: str = Notification.Kind.MENTION) -> Notification:
    """What the outbox worker does for a mention (tickets.tasks.deliver_notifications)."""
    if ticket is None:
        customer = CustomerProfileFactory.create().user
        ticket = ticket_services.ticket_create(customer=customer, subject="订单一直没有发货", body="麻烦查一下。")
    return notifications.deliver(recipient_ids=[user.pk], kind=str(kind), ticket_id=ticket.pk, actor_id=None,
                                 text=text)[0]


@pytest.fixture
def notify() -> Callable[..., Notification]:
    return notify_user
