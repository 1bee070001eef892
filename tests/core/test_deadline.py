"""core.deadline stops a function wherever it is: by SIGALRM in the main thread, by killing a forkserver
child elsewhere. Only the outcome is asserted (no timings: speed lives in tests/bench)."""

import re
import signal
import threading
from typing import Any

import pytest

from core.deadline import DeadlineExceeded, call_with_deadline

# Catastrophic backtracking: one C-level `re` call that runs for minutes, unless interrupted.
_BACKTRACKING = re.compile(r"(a+)+$")


def backtrack() -> bool:
    return _BACKTRACKING.match("a" * 64 + "b") is not None


def add(left: int, right: int) -> int:
    return left + right


def refuse(reason: str) -> None:
    raise ValueError(reason)


def _in_a_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call_with_deadline(function, *args, **kwargs)
        except Exception as error:  # handed to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_the_main_thread_stops_a_long_regex_and_restores_the_alarm() -> None:
    previous = signal.getsignal(signal.SIGALRM)
    with pytest.raises(DeadlineExceeded):
        call_with_deadline(backtrack, seconds=0.2)
    assert signal.getsignal(signal.SIGALRM) is previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_main_thread_returns_the_value_and_raises_the_functions_error() -> None:
    assert call_with_deadline(add, 2, right=3, seconds=5) == 5
    with pytest.raises(ValueError, match="bad"):
        call_with_deadline(refuse, "bad", seconds=5)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_another_thread_runs_it_in_a_child_that_is_killed_at_the_deadline() -> None:
    with pytest.raises(DeadlineExceeded):
        _in_a_thread(backtrack, seconds=0.5)


def test_another_thread_gets_the_childs_value_and_error() -> None:
    assert _in_a_thread(add, 2, 3, seconds=30) == 5
    with pytest.raises(ValueError, match="bad"):
        _in_a_thread(refuse, "bad", seconds=30)


def test_a_running_alarm_is_left_alone_and_a_child_is_used() -> None:
    signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        with pytest.raises(DeadlineExceeded):
            call_with_deadline(backtrack, seconds=0.5)
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 50
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def test_no_time_at_all_is_over_the_deadline_without_running() -> None:
    calls: list[int] = []
    with pytest.raises(DeadlineExceeded):
        call_with_deadline(calls.append, 1, seconds=0)
    assert calls == []
