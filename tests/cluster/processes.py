"""Real processes for the cluster tests and bench: nginx rendered from deploy/nginx.conf.template in front of
Daphne processes started on free ports (tests/bench/test_chat_load_bench.py's Daphne), Celery workers on named
queues, and a Redis broker of the test's own."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from core.database import database_url
from service_center import cluster
from service_center.celery import app as celery_app
from tests.bench.test_chat_load_bench import Daphne
from tests.redis_server import RedisServer

NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin")
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (make system-deps)")


@dataclass
class Endpoint:
    """Where a client connects: a Daphne's own port or nginx's (Side.open reads .port and .origin)."""

    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Nginx(Endpoint):
    def __init__(self, directory: Path, upstream_ports: list[int]) -> None:
        super().__init__(free_port())
        layout = cluster.Layout.from_env({"PORT": str(self.port)}, directory)
        cluster.write(layout, upstream_ports)
        assert NGINX is not None
        self.log = directory / "nginx.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([NGINX, *cluster.nginx_command(layout)[1:]], stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, "nginx not listening after 20 s"
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_daphnes(directory: Path, count: int, **env: str) -> list[Daphne]:
    """count Daphne processes, started side by side (each takes seconds to import Django)."""
    daphnes = []
    for index in range(count):
        (directory / f"daphne-{index}").mkdir(parents=True, exist_ok=True)
        daphnes.append(Daphne(directory / f"daphne-{index}", **env))
    starters = [threading.Thread(target=daphne.start) for daphne in daphnes]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    assert all(daphne.proc is not None and daphne.proc.poll() is None for daphne in daphnes)
    return daphnes


def kill(daphne: Daphne) -> None:
    """SIGKILL, and close the listening socket this test holds, so new connections are refused, not queued."""
    if daphne.proc is not None:
        daphne.proc.kill()
        daphne.proc.wait()
        daphne.proc = None
    daphne.listener.close()


def stop_all(daphnes: list[Daphne]) -> None:
    for daphne in daphnes:
        daphne.stop()
        daphne.listener.close()


class Worker:
    """`celery worker -Q <queue>` in a session of its own, so a SIGKILL takes the pool children with it."""

    def __init__(self, directory: Path, broker_url: str, name: str, *, queue: str = "sla", concurrency: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.log = directory / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]), "REDIS_URL": broker_url,
               "CELERY_TASK_ALWAYS_EAGER": "0", **(env or {})}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "service_center", "worker", "-Q", queue, "-c", str(concurrency),
                 "-l", "info", "-n", f"{name}@%h", "--without-mingle", "--without-gossip"],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self) -> "Worker":
        until(lambda: "ready." in self.log.read_text(errors="replace"), f"{self.log.stem} ready", self, 90)
        return self

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def until(condition: Callable[[], bool], what: str, worker: Worker | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = worker.log.read_text(errors="replace")[-3000:] if worker else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{log}")
        time.sleep(0.2)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own as Celery's broker, for this process too (eager runs off)."""
    redis = RedisServer(tmp_path)
    redis.start()
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def use(url: str) -> None:
        celery_app.conf["broker_url"] = url
        # The producer pools were built for the previous URL (private attributes: Celery has no public reset).
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]

    use(redis.url)
    celery_app.conf.task_always_eager = False
    yield redis
    celery_app.pool.force_close_all()  # type: ignore[attr-defined]
    use(saved[0])
    celery_app.conf.task_always_eager = saved[1]
    redis.kill()
