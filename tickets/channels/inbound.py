"""Messages from outside channels (WeChat, social webhooks, SMS replies) onto tickets, each exactly once.

A customer writing again on the same channel continues their ticket there while it is not closed and
has moved within `CONTINUE_DAYS` (as Zendesk threads a messaging conversation); otherwise a new
ticket opens. The provider's message id is claimed under a transaction-scoped advisory lock, so a
redelivery — even one racing the first delivery — stores nothing.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.locks import lock_for_transaction
from profiles.models import User
from tickets.models import InboundMessage, Status, Ticket, TicketMessage
from tickets.services.tickets import SUBJECT_MAX, ticket_open, ticket_reply_within

CONTINUE_DAYS = 7


def _claim(channel: str, account: str, external_id: str) -> TicketMessage | None:
    """Serialise deliveries of one provider message; the message it already became, if any."""
    lock_for_transaction(f"inbound:{channel}:{account}:{external_id}")
    found = (InboundMessage.objects.select_related("message")
             .filter(channel=channel, account=account, external_id=external_id).first())
    return found.message if found is not None else None


def continuing_ticket(*, customer: User, channel: str, now: datetime) -> Ticket | None:
    return (Ticket.objects.filter(customer=customer, channel=channel, merged_into__isnull=True,
                                  updated_at__gte=now - timedelta(days=CONTINUE_DAYS))
            .exclude(status=Status.CLOSED).order_by("-updated_at").first())


@transaction.atomic
def inbound_message(*, channel: str, account: str, external_id: str, customer: User, body: str,
                    uploads: Sequence[UploadedFile] = (), subject: str = "", source: str = "",
                    now: datetime | None = None) -> tuple[TicketMessage, bool]:
    """Store one provider message on the customer's ticket; (message, False) for a redelivery."""
    now = now or timezone.now()
    if (already := _claim(channel, account, external_id)) is not None:
        return already, False
    ticket = continuing_ticket(customer=customer, channel=channel, now=now)
    if ticket is not None:
        message = ticket_reply_within(ticket=ticket, author=customer, body=body, uploads=uploads, now=now)
    else:
        first_line = (body.strip().splitlines() or [""])[0]
        message = ticket_open(customer=customer, subject=subject or first_line[:SUBJECT_MAX], body=body,
                              channel=channel, source=source, uploads=uploads, now=now).message
    InboundMessage.objects.create(channel=channel, account=account, external_id=external_id, message=message)
    return message, True
