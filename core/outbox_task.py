"""The base class of every Celery task (`task_cls` in service_center/celery.py).

A task started through the outbox carries its row id in a message header; the run first claims that
row, so the same message delivered twice runs once (core/queueing.py). Beat-scheduled
tasks and direct calls carry no id and run as plain Celery tasks.

This module imports no model at import time: Celery loads the class while the worker is still starting.
"""

from typing import Any

from celery import Task

from core.outbox_header import outbox_message_id


class OutboxTask(Task):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.called_directly:
            # Plain function call (tests, one task calling another's body): Celery's own bookkeeping.
            return super().__call__(*args, **kwargs)
        message_id = outbox_message_id(self.request)
        if message_id is None:
            return self.run(*args, **kwargs)
        from core import queueing

        return queueing.run_claimed(message_id, lambda: self.run(*args, **kwargs))
