"""Which Redis serves the channel layer, the Celery broker and the cache: one URL, several channel-layer
shards, or a master found through Redis Sentinel. Settings call these; nothing here reads settings.

    REDIS_URL=redis://:password@host:6379/0                 one Redis for everything (the default)
    CHANNEL_REDIS_URLS=redis://a:6379/0,redis://b:6379/0    the channel layer sharded over several hosts
    REDIS_SENTINELS=s1:26379,s2:26379 REDIS_SENTINEL_MASTER=mymaster
                                                            the master Sentinel names, for all three (REDIS_URL then
                                                            gives only the database number and password)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url
from redis.sentinel import Sentinel, SentinelConnectionPool

SENTINEL_SOCKET_TIMEOUT = 2.0  # a Sentinel that does not answer is skipped for the next, never waited on


def parse_sentinels(text: str) -> list[tuple[str, int]]:
    """"host:port,host:port" → [(host, port), …]; a malformed entry is a start-up error naming the setting."""
    sentinels = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS: {entry!r} is not host:port")
        sentinels.append((host.strip("[]"), int(port)))
    return sentinels


def _db_and_password(redis_url: str) -> dict[str, Any]:
    parts = parse_url(redis_url)
    return {key: parts[key] for key in ("db", "username", "password") if parts.get(key) is not None}


def channel_layer_hosts(redis_url: str, shard_urls: list[str], sentinels: list[tuple[str, int]],
                        master: str) -> list[dict[str, Any]]:
    """channels-redis `hosts`: with several, the pub/sub layer hashes each channel and group to one of them."""
    # No socket timeout (see settings): chat's consumers bound their layer calls themselves.
    if sentinels:
        return [{"master_name": master, "sentinels": sentinels, "socket_timeout": None,
                 "sentinel_kwargs": {"socket_timeout": SENTINEL_SOCKET_TIMEOUT}, **_db_and_password(redis_url)}]
    return [{"address": url, "socket_timeout": None} for url in (shard_urls or [redis_url])]


def celery_broker(redis_url: str, sentinels: list[tuple[str, int]], master: str) -> tuple[str, dict[str, Any]]:
    """Celery's broker URL and transport options; kombu reads Sentinel as `sentinel://h:p;sentinel://h:p`."""
    if not sentinels:
        return redis_url, {}
    parts = _db_and_password(redis_url)
    credentials = f":{parts['password']}@" if parts.get("password") else ""
    url = ";".join(f"sentinel://{credentials}{host}:{port}/{parts.get('db', 0)}" for host, port in sentinels)
    return url, {"master_name": master, "sentinel_kwargs": {"socket_timeout": SENTINEL_SOCKET_TIMEOUT}}


class SentinelCachePool:
    """Django's RedisCache builds its pool as `pool_class.from_url(LOCATION, **OPTIONS)`; this answers with a pool
    that asks Sentinel for the current master (Django has no Sentinel option of its own)."""

    @classmethod
    def from_url(cls, url: str, *, sentinels: list[tuple[str, int]], master_name: str,
                 **options: Any) -> SentinelConnectionPool:
        sentinel = Sentinel(sentinels, sentinel_kwargs={"socket_timeout": SENTINEL_SOCKET_TIMEOUT})
        return SentinelConnectionPool(master_name, sentinel, **{**options, **_db_and_password(url)})


def cache_options(sentinels: list[tuple[str, int]], master: str) -> dict[str, Any]:
    if not sentinels:
        return {}
    return {"pool_class": f"{__name__}.SentinelCachePool", "sentinels": sentinels, "master_name": master}
