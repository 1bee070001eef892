"""Quarantine: what intake of any channel could not store is kept raw, with the reason, never dropped.

- `receive_or_quarantine(channel=…, raw=…, key=…, intake=…)` runs one message's intake; any exception
  (a parser limit, RecursionError, a database refusal) rolls that message's writes back and keeps it
  here instead, so the caller can acknowledge it and go on to the next message.
- `quarantine(...)` writes or bumps the row; one row per channel and dedupe key.
- `retry(...)` runs the channel's intake again on the stored bytes: the channel's adapter in the one channel
  registry (core/channel_registry.py, filled in the apps' AppConfig.ready: core imports no app). Intakes are
  idempotent by the channel's own id (Message-ID, MsgId), so a retry never stores a message twice.
- `discard(...)` records a person's decision that the message will not be stored.

Each new row is logged at ERROR and counted in `service_center_quarantined_messages`; when new rows pass a
threshold per window, supervisors are mailed once for that window (quarantine_alerts.py).
"""

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from core import channel_registry, events, quarantine_alerts
from core.models import QuarantinedMessage

logger = logging.getLogger(__name__)

State = QuarantinedMessage.State
Result = TypeVar("Result")
REASON_LIMIT = 2000
KEY_LIMIT = 255


def dedupe_key(raw: bytes, key: str | None = None) -> str:
    """The channel's own id when it has one, else a hash of the bytes. Two different ids never share a key:
    NUL is spelled out (PostgreSQL text cannot hold it) and an over-long id keeps a hash of the whole."""
    key = (key or "").strip().replace("\x00", "\\x00")
    if not key:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    if len(key) > KEY_LIMIT:
        return key[:KEY_LIMIT - 72] + ":sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def describe(error: BaseException) -> str:
    """The reason stored and shown: the error's kind and its message (a parser names the limit it hit)."""
    text = str(error).replace("\x00", "")
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:REASON_LIMIT]


@dataclass(frozen=True)
class Quarantined:
    message: QuarantinedMessage
    created: bool


def quarantine(*, channel: str, raw: bytes, reason: str, key: str | None = None,
               context: Mapping[str, Any] | None = None) -> Quarantined:
    """Keep `raw` with `reason`; the same channel and key again only bumps last seen and attempts."""
    now = timezone.now()
    reason = reason.replace("\x00", "")[:REASON_LIMIT]
    with transaction.atomic():
        message, created = QuarantinedMessage.objects.select_for_update().get_or_create(
            channel=channel, key=dedupe_key(raw, key),
            defaults={"raw": raw, "reason": reason, "context": dict(context or {}), "last_seen_at": now})
        if not created:
            QuarantinedMessage.objects.filter(pk=message.pk).update(last_seen_at=now, attempts=F("attempts") + 1,
                                                                    reason=reason)
            message.refresh_from_db()
        else:
            quarantine_alerts.note_new_row(message_id=message.pk, now=now)
    if created:
        # The alert: a log line at ERROR (what the log shipper pages on) and an event for in-app notices.
        logger.error("%s message quarantined (#%s, key %s): %s", channel, message.pk, message.key, reason)
        events.publish("core.message_quarantined", quarantine_id=message.pk, channel=channel, reason=reason)
    return Quarantined(message=message, created=created)


def receive_or_quarantine(*, channel: str, raw: bytes, intake: Callable[[], Result], key: str | None = None,
                          context: Mapping[str, Any] | None = None,
                          refuse: tuple[type[Exception], ...] = ()) -> Result | Quarantined:
    """Run one message's intake; on any failure roll its writes back and quarantine it instead.

    `refuse`: errors that are the sender's to fix (a field they can correct), raised so that an endpoint
    whose caller reads its answer gives a 4xx naming the field instead of keeping the message.
    """
    try:
        with transaction.atomic():
            return intake()
    except refuse:
        raise
    except Exception as error:  # any one message's failure is kept, and never stops the messages after it
        logger.warning("%s intake failed, quarantining: %s", channel, describe(error), exc_info=True)
        return quarantine(channel=channel, raw=raw, reason=describe(error), key=key, context=context)


class NotHeld(LookupError):
    """The message is not in quarantine any more (retried or discarded already)."""


def retry(*, message_id: int, actor: Any = None) -> Any:
    """Run the channel's intake on the stored bytes. Returns what intake returned; on failure the row stays
    held with the new reason and the error is raised."""
    with transaction.atomic():
        message = QuarantinedMessage.objects.select_for_update().filter(pk=message_id, state=State.HELD).first()
        if message is None:
            raise NotHeld(message_id)
        adapter = channel_registry.adapter(message.channel)
        if adapter is None:
            raise LookupError(f"no intake is registered for channel {message.channel!r}")
        try:
            with transaction.atomic():
                result = adapter.retry(bytes(message.raw), message.context)
        except Exception as error:
            # Recorded in the outer transaction, which commits; the error is raised after it.
            failure = error
            QuarantinedMessage.objects.filter(pk=message.pk).update(
                attempts=F("attempts") + 1, last_seen_at=timezone.now(), reason=describe(error))
        else:
            QuarantinedMessage.objects.filter(pk=message.pk).update(
                state=State.RETRIED, resolved_at=timezone.now(), resolved_by_id=_user_id(actor))
            return result
    raise failure


def discard(*, message_ids: Iterable[int], actor: Any, reason: str) -> int:
    """A supervisor's decision that these held messages will not be stored; the reason is required."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a discard needs a reason")
    return QuarantinedMessage.objects.filter(pk__in=list(message_ids), state=State.HELD).update(
        state=State.DISCARDED, discard_reason=reason[:REASON_LIMIT], resolved_at=timezone.now(),
        resolved_by_id=_user_id(actor))


def _user_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


def held_counts() -> dict[str, int]:
    """Held messages per channel (for the metric and the desk page's heading)."""
    return dict(QuarantinedMessage.objects.filter(state=State.HELD).order_by().values("channel")
                .annotate(total=Count("id")).values_list("channel", "total"))


@dataclass(frozen=True)
class ChannelStatus:
    """One channel's intake health as the quarantine records it: what is held, and its latest failure."""

    channel: str
    label: str
    held: int
    last_error: str
    last_error_at: Any
    # The channel's own sources (each IMAP mailbox …) with their held counts and last poll errors.
    sources: Sequence[channel_registry.SourceStatus] = ()


def channel_status() -> list[ChannelStatus]:
    """Every registered channel (and any other that has rows), in two queries whatever the row count: held
    per channel, and each channel's most recent failure (DISTINCT ON over the last-seen order)."""
    held = held_counts()
    latest = {row.channel: row for row in QuarantinedMessage.objects.order_by("channel", "-last_seen_at", "-id")
              .distinct("channel").only("channel", "reason", "last_seen_at")}
    channels = sorted(set(channel_registry.codes()) | set(latest),
                      key=lambda code: (channel_registry.label(code), code))
    return [ChannelStatus(channel=code, label=channel_registry.label(code), held=held.get(code, 0),
                          last_error=latest[code].reason if code in latest else "",
                          last_error_at=latest[code].last_seen_at if code in latest else None,
                          sources=_sources(code))
            for code in channels]


def _sources(code: str) -> Sequence[channel_registry.SourceStatus]:
    adapter = channel_registry.adapter(code)
    return adapter.sources() if adapter is not None and adapter.sources is not None else ()


def counts_by_channel_and_state() -> dict[tuple[str, str], int]:
    rows = (QuarantinedMessage.objects.order_by().values("channel", "state").annotate(total=Count("id"))
            .values_list("channel", "state", "total"))
    return {(channel, state): total for channel, state, total in rows}
