"""Run a function under a wall-clock deadline that stops it wherever it is, not only between steps.

Intake parses hostile input (a crafted mail took 38 s in the standard library), and a check of the clock
between parts cannot stop one long regex or decoder call. Two ways to stop it, one interface:

- In the main thread (Celery's prefork children, management commands, tests), a SIGALRM timer raises
  `DeadlineExceeded` inside the running code; CPython delivers it between bytecodes and also inside long
  `re` matches. No process is started, so a mail costs nothing extra.
- Anywhere else (Daphne runs sync views in worker threads, where signals cannot be received), the function
  runs in a forkserver child that is killed at the deadline. The function, its arguments and its result
  must pickle; modules named in `preload_in_children` are imported once by the fork server.
"""

import multiprocessing
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any, TypeVar

Result = TypeVar("Result")

# A forkserver child starts from a clean single-threaded process (no locks held by the server's threads).
_CHILDREN = multiprocessing.get_context("forkserver")
_SPAWNED = multiprocessing.get_context("spawn")
_PRELOAD: list[str] = [__name__]


class DeadlineExceeded(Exception):
    """The function did not finish within its deadline and was stopped."""


def preload_in_children(module_name: str) -> None:
    """Have the fork server import `module_name` once, so a child does not import it per call."""
    if module_name not in _PRELOAD:
        _PRELOAD.append(module_name)
        _CHILDREN.set_forkserver_preload(list(_PRELOAD))


def _alarm_usable() -> bool:
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


def _raise_deadline(signum: int, frame: FrameType | None) -> None:
    raise DeadlineExceeded


def _call_with_alarm(function: Callable[..., Result], args: tuple[Any, ...], kwargs: dict[str, Any],
                     seconds: float) -> Result:
    previous = signal.signal(signal.SIGALRM, _raise_deadline)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _run_in_child(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                  answer: Connection) -> None:
    try:
        outcome: tuple[str, Any] = ("ok", function(*args, **kwargs))
    except Exception as error:  # handed to the parent, which raises it there
        outcome = ("error", error)
    try:
        answer.send(outcome)
    finally:
        answer.close()


def _call_in_child(function: Callable[..., Result], args: tuple[Any, ...], kwargs: dict[str, Any],
                   seconds: float) -> Result:
    receiving, sending = _CHILDREN.Pipe(duplex=False)
    child: multiprocessing.process.BaseProcess = _CHILDREN.Process(
        target=_run_in_child, args=(function, args, kwargs, sending), daemon=True)
    try:
        child.start()
    except ChildProcessError:
        # CPython's forkserver checks on its server with waitpid(); when something else in this process reaped
        # it first (a library's waitpid(-1) or SIGCHLD handler), that check raises ECHILD instead of starting a
        # new server. A spawned child starts slower but needs no server.
        receiving.close()
        sending.close()
        receiving, sending = _SPAWNED.Pipe(duplex=False)
        child = _SPAWNED.Process(target=_run_in_child, args=(function, args, kwargs, sending), daemon=True)
        child.start()
    sending.close()
    try:
        if not receiving.poll(seconds):
            raise DeadlineExceeded
        outcome, value = receiving.recv()
    except EOFError:  # the child died without answering (out of memory, a crash): it did not finish
        raise DeadlineExceeded from None
    finally:
        receiving.close()
        child.kill()
        child.join()
    if outcome == "error":
        raise value
    return value


def call_with_deadline(function: Callable[..., Result], /, *args: Any, seconds: float, **kwargs: Any) -> Result:
    """`function(*args, **kwargs)`, or `DeadlineExceeded` once `seconds` have passed."""
    if seconds <= 0:
        raise DeadlineExceeded
    if _alarm_usable():
        return _call_with_alarm(function, args, kwargs, seconds)
    return _call_in_child(function, args, kwargs, seconds)
