"""The broker refusing every message (Redis down), for tests of what the outbox does meanwhile."""

from typing import Any
from unittest import mock

from celery import Task
from kombu.exceptions import OperationalError


def broker_down() -> Any:
    """A context manager: every task handed to Celery inside it fails as an unreachable Redis does."""
    return mock.patch.object(Task, "apply_async", side_effect=OperationalError("Error 111 connecting to redis"))
