"""Real processes for the cluster tests and bench: nginx rendered from deploy/nginx.conf.template in front of
Daphne processes started on free ports (tests/bench/test_chat_load_bench.py's Daphne)."""

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from service_center import cluster
from tests.bench.test_chat_load_bench import Daphne

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
