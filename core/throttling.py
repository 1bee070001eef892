"""API throttles whose rates come from settings at request time, counted in Redis in one round trip.

A module of its own because DRF imports the throttle classes while defining APIView: anything that
imports `rest_framework.views` (like `core.api`) cannot hold them.
"""

import uuid
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.redis_cache import shared_client

if TYPE_CHECKING:
    from rest_framework.request import Request

# DRF's sliding window (the requests of the last `duration` seconds, at most `num_requests`) as a sorted set of
# request times: drop the times out of the window, then count, and record this request if there is room. DRF kept
# the window as a pickled list under a cache key, read and written back on every call: two round trips, and the
# list (up to the rate's number of times, 1,200 for a busy user) unpickled and pickled again each time.
# Returns {allowed, requests in the window, the oldest one's time (when refused)}.
_WINDOW_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {1, count + 1, ''}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, count, oldest[2] or ''}
"""
_scripts: dict[int, Any] = {}


def _window(key: str, *, now: float, duration: int, limit: int) -> tuple[bool, int, float | None]:
    client = shared_client()
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_WINDOW_SCRIPT)
    # A member per request: two requests in the same microsecond are still two.
    allowed, count, oldest = script(keys=[cache.make_key(key)],
                                    args=[repr(now), duration, limit, f"{now!r}:{uuid.uuid4().hex[:8]}"])
    return bool(allowed), int(count), float(oldest) if oldest else None


class _WindowInRedis(throttling.SimpleRateThrottle):
    """DRF's rate throttle with the rate read per request (DRF binds THROTTLE_RATES once at import; reading them
    per request lets settings overrides apply) and the window counted by `_window`; `wait()` gives DRF's
    Retry-After from its figures. Listed after DRF's class in each throttle below, so that DRF's
    `ScopedRateThrottle.allow_request` (which reads the view's scope first) still runs before this one."""

    duration: int  # set by DRF's __init__ (or ScopedRateThrottle.allow_request) from the rate
    num_requests: int
    _count = 0
    _oldest: float | None = None

    def allow_request(self, request: "Request", view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        allowed, self._count, self._oldest = _window(self.key, now=self.now, duration=self.duration,
                                                     limit=self.num_requests)
        return allowed

    def wait(self) -> float | None:
        remaining = self.duration - (self.now - self._oldest) if self._oldest is not None else self.duration
        available = self.num_requests - self._count + 1
        return remaining / available if available > 0 else None

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        try:
            return rates[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from exc


class AnonRateThrottle(throttling.AnonRateThrottle, _WindowInRedis):
    pass


class UserRateThrottle(throttling.UserRateThrottle, _WindowInRedis):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, _WindowInRedis):
    """Rate from the view's `throttle_scope`; add it only to the actions that need the tighter budget."""
