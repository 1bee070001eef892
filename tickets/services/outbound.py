"""Desk replies on WeChat, Weibo, the app and SMS go out on the channel the customer wrote on.

`ticket_reply` writes an `OutboundMessage` row in the reply's own transaction when the ticket's channel
has a sender, so a reply can never be committed without its delivery; after the commit a Celery task
makes one attempt. Leasing, retries with backoff, the desk's note after the last attempt and the beat
sweep are the delivery skeleton's (`tickets.services.delivery`), shared with outgoing e-mail.

Senders are registered per channel (`register_sender`).
"""

from collections.abc import Callable
from datetime import datetime

from django.db.models import QuerySet

from core.queueing import enqueue
from tickets.models import OutboundMessage, TicketMessage
from tickets.services import delivery

Sender = Callable[[TicketMessage], str]  # sends one reply, returns the provider's id; raises on failure
_senders: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def has_sender(channel: str) -> bool:
    return channel in _senders


def outbound_create(*, message: TicketMessage) -> OutboundMessage:
    """Called inside the reply's transaction; the outbox sends it once that commits."""
    outbound = OutboundMessage.objects.create(message=message, channel=message.ticket.channel)
    enqueue("tickets.tasks.send_outbound", outbound_id=outbound.pk)
    return outbound


def _pending() -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.PENDING).select_related(
        "message__ticket__customer", "message__author")


def _send(outbound: OutboundMessage, now: datetime) -> list[str]:
    sender = _senders.get(outbound.channel)
    if sender is None:
        raise LookupError(f"no sender for the {outbound.channel} channel")
    outbound.provider_id = sender(outbound.message)[:128]
    outbound.status, outbound.sent_at, outbound.error = OutboundMessage.Status.SENT, now, ""
    return ["status", "provider_id", "sent_at", "error"]


def _failed(outbound: OutboundMessage, error: str, final: bool) -> list[str]:
    outbound.error = error
    if final:
        outbound.status = OutboundMessage.Status.FAILED
    return ["status", "error"]


OUTBOX = delivery.Outbox[OutboundMessage](
    name="outbound", pending=_pending, send=_send, failed=_failed, reply=lambda outbound: outbound.message)


def outbound_send(*, outbound_id: int, now: datetime | None = None) -> str | None:
    """One attempt at one reply; the row's new status, or None when it was not due (or taken)."""
    outbound = delivery.deliver(OUTBOX, outbound_id, now=now)
    return None if outbound is None else str(outbound.status)
