"""The one way out for everything the desk sends, whatever the channel.

Two kinds of row wait to be sent: an `OutboundMessage` (a reply on WeChat, Weibo, the app or SMS; see
`tickets.services.outbound`) and an outgoing `EmailMessage` (a reply or an automatic refusal, which is also
the mail's record with its threading headers; see `tickets.channels.email.outbound`). Each kind is an `Outbox`
registered here, and the delivery skeleton is shared:

- an attempt first leases its row in a short transaction (`select_for_update(skip_locked)`, one more
  attempt, due time pushed `LEASE_SECONDS` ahead), so a second worker or the sweep skips it meanwhile;
- a failure leaves it pending with a backoff due time; after `MAX_ATTEMPTS`, or at once when retrying
  cannot help (`Undeliverable`), it is failed and an internal note tells the desk to reach the customer
  another way;
- one beat task (`tickets.tasks.send_due_outbound`, calling `send_due`) tries every due row of every outbox,
  which also sends the rows whose one-attempt task the broker never took.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.backoff import exponential_backoff, lease
from tickets.models import TicketMessage
from tickets.models.delivery import DeliveryState
from tickets.services.notes import ticket_add_system_note

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
# A worker that took a row and died leaves it leased this long before the sweep tries again.
LEASE_SECONDS = 120

Row = TypeVar("Row", bound=DeliveryState)


class Undeliverable(Exception):
    """Retrying cannot help (the customer has no address on the channel): the row fails at once."""


@dataclass(frozen=True)
class Outbox(Generic[Row]):
    """One kind of outgoing row: what is waiting, and how one is sent, marked sent and marked failed."""

    name: str
    # The rows still to send, with what sending them reads; a lease narrows it to one due row.
    pending: Callable[[], QuerySet[Row]]
    # One attempt: sends, marks the row sent and returns the fields it set; raises when nothing went out.
    send: Callable[[Row, datetime], list[str]]
    # Records the error, and the failed state when the second argument says this was the last attempt.
    failed: Callable[[Row, str, bool], list[str]]
    # The desk's reply the row carries, to tell its author when it could not be sent (None: nobody to tell).
    reply: Callable[[Row], TicketMessage | None]


_outboxes: dict[str, Outbox[Any]] = {}


def register_outbox(outbox: Outbox[Any]) -> None:
    _outboxes[outbox.name] = outbox


def retry_delay(attempts: int) -> timedelta:
    return exponential_backoff(attempts, base_seconds=RETRY_BASE_SECONDS, max_seconds=RETRY_MAX_SECONDS)


def _due(now: datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def deliver(outbox: Outbox[Row], row_id: int, *, now: datetime | None = None) -> Row | None:
    """One attempt at one row; None when it is not due (sent, failed, leased by another or waiting to retry)."""
    now = now or timezone.now()
    row = lease(outbox.pending(), row_id, due=_due(now), now=now, hold=timedelta(seconds=LEASE_SECONDS))
    if row is None:
        return None
    try:
        sent_fields = outbox.send(row, now)
    except Exception as error:
        _failed(outbox, row, error, now)
    else:
        row.next_attempt_at = None
        row.save(update_fields=[*sent_fields, "next_attempt_at"])
    return row


def _failed(outbox: Outbox[Row], row: Row, error: Exception, now: datetime) -> None:
    logger.warning("%s %s not sent (attempt %s): %s", outbox.name, row.pk, row.attempts, error)
    detail = (str(error) if isinstance(error, Undeliverable) else f"{type(error).__name__}: {error}")[:300]
    final = isinstance(error, Undeliverable) or row.attempts >= MAX_ATTEMPTS
    fields = outbox.failed(row, detail, final)
    if final:
        row.next_attempt_at = None
        _tell_desk(outbox.reply(row), attempts=row.attempts, detail=detail)
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)
    row.save(update_fields=[*fields, "next_attempt_at"])


def _tell_desk(reply: TicketMessage | None, *, attempts: int, detail: str) -> None:
    if reply is None:
        return
    ticket = reply.ticket
    ticket_add_system_note(ticket=ticket, author=reply.author, body=_(
        "This reply could not be delivered on %(channel)s after %(attempts)d attempts (%(error)s). "
        "Please reach the customer another way.") % {
        "channel": ticket.get_channel_display(), "attempts": attempts, "error": detail})


def send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Beat: one attempt at every due row of every outbox (at most `limit` of each); how many were tried."""
    now = now or timezone.now()
    tried = 0
    for outbox in _outboxes.values():
        due = list(outbox.pending().filter(_due(now)).order_by("pk").values_list("pk", flat=True)[:limit])
        tried += sum(deliver(outbox, row_id, now=now) is not None for row_id in due)
    return tried
