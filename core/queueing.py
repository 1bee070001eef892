"""Background work by name, through an outbox row written in the caller's transaction.

`enqueue("tickets.tasks.escalate_ticket", ticket_id=…)` is the only way code starts a task:

- The row is written inside the caller's transaction, so the work exists exactly when the decision
  to do it commits; a rollback takes both back.
- After commit the relay leases the row (state `sent`) and hands it to Celery with the row's id in a
  message header. A broker that refuses the message leaves the row pending, due a little later.
- The beat sweep (`sweep`, every 30 s) re-sends what is due: pending rows whose time has come, and
  sent or running rows whose lease ran out (the broker lost it, or the worker died mid-run).
- The task base class (core/outbox_task.py) claims the row before running: a message
  the broker delivers twice (late acks, a sweep re-send) finds it running or done and does nothing.
  A failed run goes back to pending with exponential backoff; after `OUTBOX_MAX_ATTEMPTS` runs the
  row is dead and waits for a person in admin (retry or discard).

Task names are Celery's registered names (module path + function), checked when enqueued.
"""

import inspect
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core.backoff import exponential_backoff
from core.models import OutboxMessage
from core.outbox_header import OUTBOX_HEADER

logger = logging.getLogger(__name__)

State = OutboxMessage.State
ERROR_LIMIT = 2000
Result = TypeVar("Result")


class UnknownTask(LookupError):
    """A task name Celery does not know: a typo, or a task that was removed."""


def registered_task(task_name: str) -> Task:
    """The Celery task registered under `task_name`; UnknownTask if there is none."""
    tasks = current_app.tasks
    if task_name not in tasks:
        # A web process imports an app's tasks module only when something needs it: load them all once.
        current_app.loader.import_default_modules()
    try:
        return tasks[task_name]
    except KeyError:
        raise UnknownTask(f"no Celery task is registered as {task_name!r}") from None


def enqueue(task_name: str, **kwargs: Any) -> OutboxMessage:
    """Queue `task_name(**kwargs)` to run after the current transaction commits (at once outside one).

    Refuses, before writing anything, a name Celery does not know, arguments the task does not take,
    and arguments that are not JSON.
    """
    [message] = enqueue_many(task_name, [kwargs])
    return message


def enqueue_many(task_name: str, kwargs_list: Sequence[dict[str, Any]]) -> list[OutboxMessage]:
    """`enqueue` for many runs of one task: every row checked first, then written in one insert."""
    if not kwargs_list:
        return []
    task = registered_task(task_name)
    signature = inspect.signature(task.run)
    for kwargs in kwargs_list:
        try:
            signature.bind(**kwargs)
        except TypeError as error:
            raise TypeError(f"{task_name} does not take these arguments: {error}") from None
        try:
            json.dumps(kwargs)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{task_name}: task arguments must be JSON values: {error}") from None
    now = timezone.now()
    messages = OutboxMessage.objects.bulk_create([
        OutboxMessage(task_name=task_name, kwargs=kwargs, available_at=now) for kwargs in kwargs_list])
    _written.ids.extend(message.pk for message in messages)
    # robust: a relay that fails for any reason leaves the row to the sweep, never fails the caller's commit.
    transaction.on_commit(_relay_written, robust=True)
    return messages


class _Written(threading.local):
    """Rows this thread wrote since its last relay. Transactions in a thread follow one another, so the first
    on-commit callback of a commit relays every row of that transaction in one batch and the others find the
    list empty. Rows of a rolled-back transaction are never found by the relay (ids are not reused)."""

    def __init__(self) -> None:
        self.ids: list[int] = []


_written = _Written()


def _relay_written() -> None:
    ids, _written.ids = _written.ids, []
    if ids:
        relay(ids)


def _sendable(now: datetime) -> Q:
    return (Q(state=State.PENDING, available_at__lte=now)
            | Q(state__in=[State.SENT, State.RUNNING], lease_until__lte=now, attempts__lt=_max_attempts()))


def _max_attempts() -> int:
    return int(settings.OUTBOX_MAX_ATTEMPTS)


def _backoff(attempts: int) -> timedelta:
    return exponential_backoff(attempts, base_seconds=settings.OUTBOX_RETRY_BASE_SECONDS,
                               max_seconds=settings.OUTBOX_RETRY_MAX_SECONDS)


def relay(message_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Lease the given rows that are due and hand each to Celery; returns how many the broker took."""
    now = now or timezone.now()
    with transaction.atomic():
        messages = list(OutboxMessage.objects.select_for_update(skip_locked=True)
                        .filter(pk__in=list(message_ids)).filter(_sendable(now)).order_by("pk"))
        OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(
            state=State.SENT, lease_until=now + timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS))
    # The lease is committed before the send, so the worker (or an eager run) finds the row sent.
    return sum(_send(message, now) for message in messages)


def _send(message: OutboxMessage, now: datetime) -> bool:
    try:
        task = registered_task(message.task_name)
    except UnknownTask as error:
        logger.error("outbox message %s: %s", message.pk, error)
        _finish(message.pk, State.DEAD, now, str(error))
        return False
    try:
        task.apply_async(kwargs=message.kwargs, headers={OUTBOX_HEADER: str(message.pk)})
    except Exception as error:  # any broker failure: the row stays, the sweep tries again
        logger.warning("outbox message %s (%s) not sent, will retry: %r", message.pk, message.task_name, error)
        OutboxMessage.objects.filter(pk=message.pk, state=State.SENT).update(
            state=State.PENDING, lease_until=None, last_error=_describe(error),
            available_at=now + timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS))
        return False
    return True


def run_claimed(message_id: int, run: Callable[[], Result]) -> Result | None:
    """Run one delivery of an outbox message, unless the row is already running or done (then None)."""
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, attempts__lt=_max_attempts())
        .filter(Q(state__in=[State.PENDING, State.SENT]) | Q(state=State.RUNNING, lease_until__lte=now))
        .update(state=State.RUNNING, attempts=F("attempts") + 1,
                lease_until=now + timedelta(seconds=settings.OUTBOX_RUN_LEASE_SECONDS))
    )
    if not claimed:
        logger.info("outbox message %s is already running or finished; this delivery does nothing", message_id)
        return None
    try:
        result = run()
    except Exception as error:
        _failed(message_id, error)
        raise
    _finish(message_id, State.DONE, timezone.now(), "")
    return result


def _failed(message_id: int, error: Exception) -> None:
    now = timezone.now()
    message = OutboxMessage.objects.filter(pk=message_id).only("attempts", "task_name").first()
    if message is None:
        return
    detail = _describe(error, with_traceback=True)
    if message.attempts >= _max_attempts():
        logger.error("outbox message %s (%s) is dead after %s attempts: %r", message_id, message.task_name,
                     message.attempts, error)
        _finish(message_id, State.DEAD, now, detail)
        return
    OutboxMessage.objects.filter(pk=message_id, state=State.RUNNING).update(
        state=State.PENDING, lease_until=None, last_error=detail, available_at=now + _backoff(message.attempts))


def _finish(message_id: int, state: str, now: datetime, error: str) -> None:
    OutboxMessage.objects.filter(pk=message_id).exclude(state__in=[State.DONE, State.DISCARDED]).update(
        state=state, lease_until=None, finished_at=now, last_error=error)


def _describe(error: BaseException, *, with_traceback: bool = False) -> str:
    text = "".join(traceback.format_exception(error)) if with_traceback else repr(error)
    return text[-ERROR_LIMIT:]


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: send what is due or whose lease ran out, bury what lost its worker too often, purge old done rows."""
    now = now or timezone.now()
    lost = OutboxMessage.objects.filter(state__in=[State.SENT, State.RUNNING], lease_until__lte=now,
                                        attempts__gte=_max_attempts())
    dead = lost.update(state=State.DEAD, lease_until=None, finished_at=now,
                       last_error="the worker was lost on every attempt")
    if dead:
        logger.error("%s outbox messages are dead: their worker was lost on every attempt", dead)
    due = list(OutboxMessage.objects.filter(_sendable(now)).order_by("available_at")
               .values_list("pk", flat=True)[:settings.OUTBOX_SWEEP_BATCH])
    sent = relay(due, now=now) if due else 0
    purged, _ = OutboxMessage.objects.filter(
        state=State.DONE, finished_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DONE_DAYS)).delete()
    return {"due": len(due), "sent": sent, "dead": dead, "purged": purged}


def retry(*, message_ids: Iterable[int]) -> int:
    """A person's retry: dead, discarded or waiting rows start again with a fresh attempt count, now."""
    ids = list(OutboxMessage.objects.filter(
        pk__in=list(message_ids), state__in=[State.DEAD, State.DISCARDED, State.PENDING]).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids).update(state=State.PENDING, attempts=0, available_at=timezone.now(),
                                                    lease_until=None, finished_at=None)
    if ids:
        transaction.on_commit(partial(relay, ids), robust=True)
    return len(ids)


def discard(*, message_ids: Iterable[int], reason: str) -> int:
    """A person's decision that a waiting or dead row will never run."""
    return OutboxMessage.objects.filter(
        pk__in=list(message_ids), state__in=[State.PENDING, State.DEAD]).update(
        state=State.DISCARDED, lease_until=None, finished_at=timezone.now(), last_error=reason[:ERROR_LIMIT])


def state_counts() -> dict[str, int]:
    """Rows per state (for the metric); states with no rows are 0."""
    counts = dict(OutboxMessage.objects.order_by().values("state").annotate(total=Count("id"))
                  .values_list("state", "total"))
    return {state: int(counts.get(state, 0)) for state in State.values}
