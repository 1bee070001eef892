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
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


def publish(name: str, **payload: Any) -> None:
    event = DomainEvent(name=name, payload=payload, cause=_cause.get())
    transaction.on_commit(lambda: _dispatch(event))


def _dispatch(event: DomainEvent) -> None:
    for handler in list(_subscribers[event.name]):
        try:
            handler(event)
        except Exception:
            # One failing subscriber must not stop the others; the change is already committed.
            logger.exception("event handler %r failed for %s", handler, event.name)
