"""Timing helpers shared by the benchmarks and the peer's runner (tests/bench/peer/runner.py, under another virtualenv:
so the standard library only): repeat an action, summarise latencies, CPU per operation."""

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(runs: int, action: Callable[[], Any]) -> list[float]:
    """Milliseconds each of `runs` calls of `action` took."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def nearest_rank(ordered: list[float], share: float) -> float:
    return ordered[max(int(len(ordered) * share) - 1, 0)]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(nearest_rank(ordered, 0.95), 2),
        "p99_ms": round(nearest_rank(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2),
    }


def backend_cpu_s(pid: int) -> float | None:
    """CPU seconds the PostgreSQL backend `pid` has used (user + system), read from /proc; None when the server is
    not on this machine. Wall time on a machine shared by other work blurs; CPU time per operation does not."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metered(runs: int, action: Callable[[int], Any], backend_pid: int, first: int = 0) -> dict[str, Any]:
    """Run action(first) … action(first + runs - 1): each call's milliseconds, and the wall, process CPU and
    database backend CPU seconds of the whole batch (the figures a driver adds up across interleaved rounds)."""
    db_before = backend_cpu_s(backend_pid)
    cpu_before = time.process_time()
    started = time.perf_counter()
    samples = []
    for n in range(first, first + runs):
        began = time.perf_counter()
        action(n)
        samples.append((time.perf_counter() - began) * 1000)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    db_after = backend_cpu_s(backend_pid)
    db_cpu = db_after - db_before if db_before is not None and db_after is not None else None
    return {"samples_ms": samples, "wall_s": wall, "cpu_s": cpu, "db_cpu_s": db_cpu}
