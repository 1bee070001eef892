"""Exponential backoff, the one rule for every retry loop (outbox messages, webhook deliveries)."""

from datetime import timedelta


def exponential_backoff(attempts: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """Wait after the n-th failed attempt: base, twice that, four times … up to the maximum."""
    exponent = min(max(attempts - 1, 0), 30)  # 2**30 s is already decades; keeps the number small
    return timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))
