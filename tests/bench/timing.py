"""Timing helpers shared by the benchmarks: repeat an action, summarise latencies."""

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
