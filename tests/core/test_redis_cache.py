"""core.redis_cache: the cache reuses one Redis client per connection pool, and still reads and writes."""

from django.core.cache import caches

from core.redis_cache import RedisCache


def test_one_client_serves_every_call() -> None:
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    client = backend._cache
    assert client.get_client("a") is client.get_client("b") is client.get_client("c", write=True)
    backend.set("redis-cache-test", {"n": 1}, 30)
    assert backend.get("redis-cache-test") == {"n": 1}
    assert backend.get_many(["redis-cache-test", "missing"]) == {"redis-cache-test": {"n": 1}}
    backend.delete("redis-cache-test")
    assert backend.get("redis-cache-test") is None
