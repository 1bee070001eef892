"""Desk replies go out on the channel the customer wrote on.

`ticket_reply` writes an `OutboundMessage` row in the reply's own transaction when the ticket's channel
has a sender, so a reply can never be committed without its delivery; after the commit a Celery task
sends it, and a beat sweep retries failures with backoff. After `MAX_ATTEMPTS` the row is failed and
an internal note tells the desk, who then reach the customer another way.

Senders are registered per channel (`register_sender`), so channels built elsewhere (e-mail) plug in.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from service_center.core.queueing import enqueue
from tickets.models import OutboundMessage, TicketMessage

logger = logging.getLogger(__name__)

Sender = Callable[[TicketMessage], str]  # sends one reply, returns the provider's id; raises on failure
_senders: dict[str, Sender] = {}

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
# A worker that took a row and died leaves it leased this long before the sweep tries again.
LEASE_SECONDS = 120


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def has_sender(channel: str) -> bool:
    return channel in _senders


def outbound_create(*, message: TicketMessage) -> OutboundMessage:
    """Called inside the reply's transaction; the task is queued only once it commits."""
    outbound = OutboundMessage.objects.create(message=message, channel=message.ticket.channel)
    transaction.on_commit(lambda: _queue(outbound.pk))
    return outbound


def _queue(outbound_id: int) -> None:
    from tickets.tasks import send_outbound

    enqueue(send_outbound, outbound_id)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, capped; the e-mail channel retries on it too."""
    return timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)))


def _lease(outbound_id: int, now: datetime) -> OutboundMessage | None:
    with transaction.atomic():
        outbound = (OutboundMessage.objects.select_for_update(skip_locked=True)
                    .select_related("message__ticket__customer", "message__author")
                    .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), pk=outbound_id,
                            status=OutboundMessage.Status.PENDING).first())
        if outbound is None:
            return None
        outbound.attempts += 1
        outbound.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
        outbound.save(update_fields=["attempts", "next_attempt_at"])
        return outbound


def outbound_send(*, outbound_id: int, now: datetime | None = None) -> str | None:
    """One attempt at one reply; the row's new status, or None when it was not due (or taken)."""
    from tickets.services.tickets import ticket_add_system_note

    now = now or timezone.now()
    outbound = _lease(outbound_id, now)
    if outbound is None:
        return None
    sender = _senders.get(outbound.channel)
    try:
        if sender is None:
            raise LookupError(f"no sender for the {outbound.channel} channel")
        provider_id = sender(outbound.message)
    except Exception as error:
        logger.warning("reply %s on %s failed (attempt %s): %s", outbound.message_id, outbound.channel,
                       outbound.attempts, error)
        outbound.error = str(error)[:300]
        if outbound.attempts >= MAX_ATTEMPTS:
            outbound.status = OutboundMessage.Status.FAILED
            outbound.next_attempt_at = None
            ticket = outbound.message.ticket
            ticket_add_system_note(ticket=ticket, author=outbound.message.author, body=_(
                "This reply could not be delivered on %(channel)s after %(attempts)d attempts (%(error)s). "
                "Please reach the customer another way.") % {
                "channel": ticket.get_channel_display(), "attempts": outbound.attempts, "error": outbound.error})
        else:
            outbound.next_attempt_at = now + retry_delay(outbound.attempts)
        outbound.save(update_fields=["status", "error", "next_attempt_at"])
        return str(outbound.status)
    outbound.status, outbound.provider_id, outbound.sent_at = OutboundMessage.Status.SENT, provider_id[:128], now
    outbound.next_attempt_at, outbound.error = None, ""
    outbound.save(update_fields=["status", "provider_id", "sent_at", "next_attempt_at", "error"])
    return str(outbound.status)


def outbound_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Beat: retry every pending reply that is due (failed attempts, and sends the broker never got)."""
    now = now or timezone.now()
    due = list(OutboundMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=OutboundMessage.Status.PENDING,
    ).order_by("pk").values_list("pk", flat=True)[:limit])
    return sum(outbound_send(outbound_id=outbound_id, now=now) is not None for outbound_id in due)
