"""The cache backend of settings.CACHES: Django's Redis cache, with one Redis client per connection pool."""

from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusedClientCacheClient(RedisCacheClient):
    """Django's client makes a new `redis.Redis` for every cache call, and redis-py 8 fills a case-insensitive
    table of response callbacks in each one (about 170 dict writes): more CPU than the round trip it wraps. One
    `redis.Redis` per connection pool does the same (it holds no connection of its own; the pool hands them out)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    """Django's, with one Redis client per pool (_ReusedClientCacheClient); Sentinel pools too (redis_config)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusedClientCacheClient


def shared_client() -> Any:
    """The cache's Redis client (same URL or Sentinel settings), for commands the cache API has no call for."""
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]
