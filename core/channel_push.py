"""Sending to channel groups from synchronous code (services' after-commit handlers), without an event loop.

`async_to_sync(layer.group_send)` starts a thread and an event loop per call: with three groups a ticket
event cost three of them, a third of a ticket create's time. With the pub/sub layer (settings.CHANNEL_LAYERS)
a group send is one Redis PUBLISH of the layer's own serialisation to `<prefix>__group__<group>`, so here
every send of a batch goes out in one pipelined round trip per Redis host, hashed to the host the layer
itself would pick. Any other layer (or hosts given as Sentinel settings) goes through the layer's own
`group_send`, all sends of the batch in one event loop.
"""

import functools
from collections.abc import Sequence
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.utils import _consistent_hash, decode_hosts
from django.conf import settings

PUBSUB_BACKEND = "channels_redis.pubsub.RedisPubSubChannelLayer"
# A push is a live hint the page repairs on reconnect; a Redis that does not answer must not hold the request.
TIMEOUT_SECONDS = 1.0

Send = tuple[str, dict[str, Any]]


@functools.cache
def _client(address: str) -> redis.Redis:
    return redis.Redis.from_url(address, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


def _pubsub_hosts() -> tuple[str, list[str]] | None:
    """(prefix, host addresses) when the default layer is the pub/sub one on plain Redis URLs."""
    config: dict[str, Any] = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") != PUBSUB_BACKEND:
        return None
    options: dict[str, Any] = config.get("CONFIG", {})
    hosts = decode_hosts(options.get("hosts"))
    if not all("address" in host for host in hosts):
        return None
    return options.get("prefix", "asgi"), [host["address"] for host in hosts]


def send_to_groups(sends: Sequence[Send]) -> None:
    """Deliver each (group, message) to the sockets listening on that group now."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return
    pubsub = _pubsub_hosts()
    if pubsub is None:
        async def send_all() -> None:
            for group, message in sends:
                await layer.group_send(group, message)

        async_to_sync(send_all)()
        return
    prefix, addresses = pubsub
    pipelines: dict[str, Any] = {}
    for group, message in sends:
        channel = f"{prefix}__group__{group}"
        address = addresses[_consistent_hash(channel, len(addresses))]
        if address not in pipelines:
            pipelines[address] = _client(address).pipeline(transaction=False)
        pipelines[address].publish(channel, layer.serialize(message))
    for pipeline in pipelines.values():
        pipeline.execute()
