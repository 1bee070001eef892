"""A real WebSocket client against a real Daphne process, as a browser would use `/ws/presence/`."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.db import connection
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from core.database import database_url
from profiles.consumers import CLOSE_UNAUTHENTICATED
from profiles.models import AgentProfile, User
from tests.realtime.conftest import PRESENCE_PATH, TIMEOUT, Login, presence_frame, self_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server_kind]

STARTUP_TIMEOUT = 60
POOL_MIN = 2  # DATABASE_POOL_MIN's default


@dataclass(frozen=True)
class LiveServer:
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def presence_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{PRESENCE_PATH}"


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"daphne exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"daphne not serving after {STARTUP_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture
def live_daphne(transactional_db: None) -> Iterator[LiveServer]:
    """`daphne service_center.asgi:application` on a socket bound here, so no port can be raced for."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # The test database pytest-django made (test_<name>, per xdist worker), not the configured one.
    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]), "ALLOWED_HOSTS": "127.0.0.1",
           "DEBUG": "0",
           # As the Procfiles start the web process: with its pool of database connections.
           "DATABASE_POOL": "1",
           # A closed tab counts as gone at once here; the linger is covered in tests/profiles/test_presence.py.
           "PRESENCE_CLOSE_GRACE_SECONDS": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "daphne.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), "service_center.asgi:application"],
                cwd=settings.BASE_DIR, env=env, pass_fds=[listener.fileno()], stdout=log_file, stderr=log_file,
            )
        listener.close()
        try:
            _wait_until_serving(server, port, log)
            yield LiveServer(port=port)
        finally:
            # Graceful stop: open sockets disconnect and write offline before the database is flushed.
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def open_presence(server: LiveServer, login: Login | None = None, origin: str | None = None) -> ClientConnection:
    headers = {"Cookie": login.cookie_header} if login else {}
    return connect(
        server.presence_url,
        origin=Origin(origin or server.origin),
        additional_headers=headers,
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
    )


def next_frame(websocket: ClientConnection) -> Any:
    return json.loads(websocket.recv(timeout=TIMEOUT))


def presence_in_db(user: User) -> str:
    return AgentProfile.objects.get(user=user).presence


def test_agent_presence_over_a_real_socket(live_daphne: LiveServer, login_as: Callable[[str], Login]) -> None:
    watcher, agent = login_as("agent"), login_as("agent")
    with open_presence(live_daphne, watcher) as watcher_socket:
        assert next_frame(watcher_socket) == self_frame(watcher.user)
        assert next_frame(watcher_socket) == presence_frame(watcher.user, "online", "online")

        with open_presence(live_daphne, agent) as agent_socket:
            assert next_frame(watcher_socket) == presence_frame(agent.user, "online")
            assert presence_in_db(agent.user) == "online"

            agent_socket.send(json.dumps({"type": "presence", "presence": "busy"}))
            assert next_frame(watcher_socket) == presence_frame(agent.user, "busy")
            assert presence_in_db(agent.user) == "busy"

        assert next_frame(watcher_socket) == presence_frame(agent.user, "offline")
        assert presence_in_db(agent.user) == "offline"

    # Nobody is left to hear the last one: poll, which also leaves Daphne idle before it is stopped.
    deadline = time.monotonic() + 20
    while presence_in_db(watcher.user) != "offline" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert presence_in_db(watcher.user) == "offline"


def test_real_socket_refusals(live_daphne: LiveServer, login_as: Callable[[str], Login]) -> None:
    with open_presence(live_daphne) as anonymous_socket, pytest.raises(ConnectionClosed) as closed:
        anonymous_socket.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_UNAUTHENTICATED

    agent = login_as("agent")
    with pytest.raises(InvalidStatus) as refused:
        open_presence(live_daphne, agent, origin="http://evil.example")
    assert refused.value.response.status_code == 403
    assert presence_in_db(agent.user) == "offline"


def _server_connections() -> dict[int, Any]:
    """The live server's connections to the test database: pid → when it connected."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        return dict(cursor.fetchall())


def test_the_web_process_keeps_its_database_connections_in_a_pool(live_daphne: LiveServer) -> None:
    """Daphne runs each request in a fresh thread: without the pool every request opened a connection and closed it.
    With it (DATABASE_POOL=1) 30 requests that read the database are served by the connections already open."""
    def healthy() -> None:
        with urlopen(f"http://127.0.0.1:{live_daphne.port}/healthz", timeout=TIMEOUT) as response:
            assert json.loads(response.read()) == {"status": "ok", "database": "ok", "redis": "ok"}

    healthy()
    deadline = time.monotonic() + TIMEOUT
    while len(_server_connections()) < POOL_MIN and time.monotonic() < deadline:
        time.sleep(0.1)  # the pool opens its first connections in the background
    before = _server_connections()
    for _ in range(30):
        healthy()
    after = _server_connections()
    assert len(before) >= POOL_MIN, before  # kept open between requests
    assert after == before  # the same connections, none opened for a request
