"""In-app notifications for desk users, with an e-mail beside each (sent only after commit)."""

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from profiles.models import User
from profiles.roles import DESK_ROLES
from tickets.models import Notification, Ticket

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


def notify(*, recipients: Iterable[User], kind: str, ticket: Ticket, actor: Any, text: str) -> list[Notification]:
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    rows = Notification.objects.bulk_create([
        Notification(recipient=recipient, kind=kind, ticket=ticket, actor_id=actor_id, text=text[:300])
        for recipient in recipients
    ])
    addresses = [row.recipient.email for row in rows if row.recipient.email]
    if addresses:
        subject = f"[{ticket.number}] {text}"[:200]
        transaction.on_commit(lambda: send_mail(
            subject, f"{text}\n\n{ticket.number} {ticket.subject}", settings.DEFAULT_FROM_EMAIL, addresses,
            fail_silently=True,
        ))
    return rows
