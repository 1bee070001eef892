"""How a Celery message names its outbox row: written by the relay (core/queueing.py) and read by
the task base class (core/outbox_task.py). Its own module so neither of those imports the other
at the top; it imports nothing, since Celery loads the task class while the worker is still starting."""

from typing import Any

OUTBOX_HEADER = "outbox_id"


def outbox_message_id(request: Any) -> int | None:
    """The row id a delivery carries: in its custom headers (eager runs) or as a request attribute (workers)."""
    value = (getattr(request, "headers", None) or {}).get(OUTBOX_HEADER) or getattr(request, OUTBOX_HEADER, None)
    return int(value) if value is not None else None
