"""A small in-process domain event bus.

Services publish inside their transaction; subscribers run only after the commit, so nobody
(webhooks, live pushes, notifications) ever hears of a change that was rolled back. Written
here rather than taken from a library because Django signals fire immediately, not on commit,
and a broker round-trip is not wanted for in-process fan-out.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    # What the publishing code was doing (see `cause`); not part of the payload webhooks forward.
    cause: dict[str, Any] = field(default_factory=dict)


_cause: ContextVar[dict[str, Any]] = ContextVar("event_cause", default={})  # noqa: B039  (never mutated)


@contextmanager
def cause(**values: Any) -> Iterator[None]:
    """Events published inside this block carry `values` as their cause (e.g. the trigger whose change
    they report), taken when published, so it holds however late the commit dispatches them."""
    token = _cause.set({**_cause.get(), **values})
    try:
        yield
    finally:
        _cause.reset(token)


Handler = Callable[[DomainEvent], None]
# Subscribers that take every event of one publish at once (a set-based change publishes hundreds together):
# one round trip, one insert, one query for the lot instead of one per event.
BatchHandler = Callable[[list[DomainEvent]], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)
_batch_subscribers: dict[str, list[BatchHandler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Handler | BatchHandler) -> None:
    for handlers in (_subscribers[name], _batch_subscribers[name]):
        if handler in handlers:
            handlers.remove(handler)  # type: ignore[arg-type]  # each list holds its own kind


def subscribe_batch(name: str, handler: BatchHandler) -> None:
    """`handler` gets the events of each publish as one list (a single `publish`: a list of one)."""
    if handler not in _batch_subscribers[name]:
        _batch_subscribers[name].append(handler)


def publish(name: str, **payload: Any) -> None:
    publish_batch(name, [payload])


def publish_batch(name: str, payloads: list[dict[str, Any]]) -> None:
    """One event per payload, dispatched together after the commit."""
    if not payloads:
        return
    cause_now = _cause.get()
    published = [DomainEvent(name=name, payload=payload, cause=cause_now) for payload in payloads]
    transaction.on_commit(lambda: _dispatch(name, published))


def _dispatch(name: str, published: list[DomainEvent]) -> None:
    for batch_handler in list(_batch_subscribers[name]):
        _run(batch_handler, published, name)
    for handler in list(_subscribers[name]):
        for event in published:
            _run(handler, event, name)


def _run(handler: Callable[[Any], None], argument: Any, name: str) -> None:
    try:
        handler(argument)
    except Exception:
        # One failing subscriber must not stop the others; the change is already committed.
        logger.exception("event handler %r failed for %s", handler, name)
