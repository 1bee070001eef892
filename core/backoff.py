"""Exponential backoff and the row lease: the one rule for every retry loop (outbox messages, webhook
deliveries, outgoing replies and e-mail)."""

from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from django.db import models, transaction
from django.db.models import Q, QuerySet


class Retried(Protocol):
    """A row retried by attempts: how many were made, and when the next one is due."""

    pk: int
    attempts: int
    next_attempt_at: datetime | None

    def save(self, *, update_fields: list[str]) -> None: ...


Row = TypeVar("Row", bound=models.Model)


def exponential_backoff(attempts: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """Wait after the n-th failed attempt: base, twice that, four times … up to the maximum."""
    exponent = min(max(attempts - 1, 0), 30)  # 2**30 s is already decades; keeps the number small
    return timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))


def lease(rows: QuerySet[Row], row_id: int, *, due: Q, now: datetime, hold: timedelta) -> Row | None:
    """Claim row `row_id` of `rows` for one attempt, in a short transaction of its own.

    None when it is not due or another worker holds its lock. Otherwise the attempt is counted and the row's
    due time pushed `hold` ahead, so a second worker or the sweep skips it meanwhile and a worker that dies
    mid-attempt leaves it due again once the hold runs out.
    """
    with transaction.atomic():
        row = rows.select_for_update(of=("self",), skip_locked=True).filter(due, pk=row_id).first()
        if row is None:
            return None
        retried: Retried = row  # type: ignore[assignment]  # every leased model has both fields
        retried.attempts += 1
        retried.next_attempt_at = now + hold
        retried.save(update_fields=["attempts", "next_attempt_at"])
        return row
