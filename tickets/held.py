"""One row lock for a run of ticket services on the same ticket (a macro's steps).

Every ticket service locks and re-reads its ticket (`services.common.lock`, the workflow's lock), which is
right for one call but, for a macro of five steps, reads the same locked row again at each step. Inside
`holding(ticket)` the caller has locked the row once in this transaction: those locks hand back the same
in-memory row (each step's changes are on it, so nothing is stale), and the SLA's calendar is read once.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.locks import require_transaction


@dataclass
class _Held:
    # The locked Ticket, or None (a batch); models are not imported here: sla and the workflow import this module.
    ticket: Any
    calendars: dict[int, Any] = field(default_factory=dict)


_held: ContextVar[_Held | None] = ContextVar("held_ticket", default=None)


@contextmanager
def holding(ticket: Any) -> Iterator[None]:
    """`ticket` is locked (select_for_update) in the current transaction; lock calls inside get it back. None: a
    set-based batch (services.batch) locked its rows itself and shares only the calendars it reads."""
    require_transaction("a ticket is held inside the transaction that locked it")
    token = _held.set(_Held(ticket))
    try:
        yield
    finally:
        _held.reset(token)


def held(pk: int) -> Any:
    """The held row when `pk` is the held ticket (and the transaction that locked it is still open), else None."""
    current = _held.get()
    if current is None or current.ticket is None or current.ticket.pk != pk \
            or not transaction.get_connection().in_atomic_block:
        return None
    return current.ticket


def calendars() -> dict[int, Any] | None:
    """The calendars read while a ticket is held, by id (None outside `holding`)."""
    current = _held.get()
    return None if current is None else current.calendars
