"""In-app notifications for desk users, with an e-mail beside each: an outbox kind like every other message.

`notify` writes one outbox message in the caller's transaction; after the commit a worker writes the
`Notification` rows and queues the e-mails (core.messaging), so a broker outage delays
them and a rollback takes them back.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import messaging
from core.queueing import enqueue
from profiles.models import User
from profiles.roles import DESK_ROLES
from tickets.models import Notification, Ticket
from tickets.realtime import push_notifications_changed

MENTION = re.compile(r"@([\w.\-]+)")


def mentioned_users(body: str, *, exclude: Any = None) -> list[User]:
    """Desk users named as @username in `body` (customers cannot be mentioned into internal notes)."""
    names = set(MENTION.findall(body))
    if not names:
        return []
    users = User.objects.filter(username__in=names, is_active=True, groups__name__in=DESK_ROLES).distinct()
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def notify(*, recipients: Iterable[User], kind: str, ticket: Ticket, actor: Any, text: str) -> None:
    recipient_ids = [recipient.pk for recipient in recipients]
    if not recipient_ids:
        return
    enqueue("tickets.tasks.deliver_notifications", recipient_ids=recipient_ids, kind=str(kind), ticket_id=ticket.pk,
            actor_id=actor.pk if getattr(actor, "is_authenticated", False) else None, text=str(text))


@transaction.atomic
def deliver(*, recipient_ids: list[int], kind: str, ticket_id: int, actor_id: int | None,
            text: str) -> list[Notification]:
    """The worker's half of `notify`: the rows, and one e-mail to each recipient (run once by the outbox)."""
    ticket = Ticket.objects.only("pk", "number", "subject").filter(pk=ticket_id).first()
    if ticket is None:
        return []
    rows = Notification.objects.bulk_create([
        Notification(recipient_id=recipient_id, kind=kind, ticket=ticket, actor_id=actor_id, text=text[:300])
        for recipient_id in recipient_ids
    ])
    messaging.send_email(recipient_ids=recipient_ids, subject=f"[{ticket.number}] {text}"[:200],
                         body=f"{text}\n\n{ticket.number} {ticket.subject}")
    transaction.on_commit(lambda: push_notifications_changed(recipient_ids))
    return rows


def mark_read(*, user: Any, notification_id: int) -> Notification | None:
    """Mark one of the user's own notifications read; None when it is not theirs (or does not exist)."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        return None
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        transaction.on_commit(lambda: push_notifications_changed([user.pk]))
    return notification


def mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    count = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        transaction.on_commit(lambda: push_notifications_changed([user.pk]))
    return count
