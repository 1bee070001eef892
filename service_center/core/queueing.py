"""Queueing a Celery task from an on-commit handler, where a broker outage must not undo anything.

The work a handler queues is already committed, and each caller has a sweep (or a later event) that
picks up what was never queued; so an unreachable broker is logged and reported, never raised into
the request or the event bus that called the handler.
"""

import logging
from typing import Any

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any) -> bool:
    """`task.delay(*args)`; False (and a logged error) when the broker cannot take it."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("could not queue %s%r", getattr(task, "name", task), args)
        return False
    return True
