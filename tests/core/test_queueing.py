"""enqueue(): a broker outage is logged and reported, never raised into an on-commit handler."""

from typing import Any

import pytest

from service_center.core.queueing import enqueue


class Task:
    name = "tests.task"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[Any, ...]] = []

    def delay(self, *args: Any) -> None:
        if self.error:
            raise self.error
        self.calls.append(args)


def test_a_reachable_broker_gets_the_task() -> None:
    task = Task()
    assert enqueue(task, 7, "x") is True
    assert task.calls == [(7, "x")]


def test_an_unreachable_broker_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    assert enqueue(Task(ConnectionRefusedError("redis down")), 7) is False
    assert "could not queue tests.task(7,)" in caplog.text and "redis down" in caplog.text
