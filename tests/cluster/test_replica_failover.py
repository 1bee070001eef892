"""A real streaming replica (pg_basebackup of the test database's server) behind the router: reports read from
it, keep answering from the primary while it is stopped, and return to it once it is back.

The requests run in a child process with DATABASE_REPLICA_URL set, as a deployed Daphne would have it; this
process only starts and stops the replica and the child.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from core.database import database_url, libpq_conninfo
from service_center.launcher import Replica

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

# Reads commands from stdin ("get"), answers one JSON line each: status, queries per database, fallbacks.
CHILD = """
import json, sys
import django
django.setup()
from django.db import connections
from django.test import Client
from profiles.models import User
from core import replica

client = Client()
client.force_login(User.objects.get(username=sys.argv[1]))
print("ready", flush=True)
for _ in sys.stdin:
    counts = {"default": 0, "replica": 0}

    def counter(alias):
        def count(execute, sql, params, many, context):
            counts[alias] += 1
            return execute(sql, params, many, context)
        return count

    # execute_wrapper, not CaptureQueriesContext: that one opens a connection to the replica itself.
    with connections["default"].execute_wrapper(counter("default")), \\
            connections["replica"].execute_wrapper(counter("replica")):
        status = client.get("/reports/agents/").status_code
    fallbacks = {s.labels["reason"]: s.value for f in replica.FALLBACKS.collect() for s in f.samples
                 if s.name.endswith("_total")}
    print(json.dumps({"status": status, "primary": counts["default"], "replica": counts["replica"],
                      "fallbacks": fallbacks}), flush=True)
"""


class ReportsClient:
    def __init__(self, username: str, replica_url: str) -> None:
        env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]),
               "DATABASE_REPLICA_URL": replica_url, "REPLICA_CHECK_INTERVAL_S": "0", "REPLICA_CONNECT_TIMEOUT_S": "2",
               "DJANGO_SETTINGS_MODULE": "service_center.settings.base", "STAFF_TWO_FACTOR_REQUIRED": "0"}
        self.process = subprocess.Popen([sys.executable, "-c", CHILD, username], cwd=settings.BASE_DIR, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def get(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        started = time.monotonic()
        self.process.stdin.write("get\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        answer["seconds"] = time.monotonic() - started
        return answer

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def replica() -> Iterator[Replica]:
    # Not under pytest's tmp_path: every pytest run on the machine resets /tmp/pytest-of-<user> to 0700, which
    # would lock out the server's own account (the launcher runs PostgreSQL as `pgserver` under root).
    root = Path(tempfile.mkdtemp(prefix="sc-replica-"))
    server = Replica(root, database_url(settings.DATABASES["default"]))
    try:
        server.start()
    except RuntimeError as error:
        if "pg_basebackup failed" in str(error) and "no pg_hba.conf entry" in server.log.read_text():
            pytest.skip("this PostgreSQL allows no replication connection (the embedded one does)")
        raise
    try:
        server.ready_url()
        yield server
    finally:
        if pid := server.pid():
            server.stop(pid)
        shutil.rmtree(root, ignore_errors=True)


def _replayed(url: str, username: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute("SELECT 1 FROM profiles_user WHERE username = %s", (username,)).fetchone() is not None
    except psycopg.OperationalError:
        return False


def test_reports_answer_from_the_primary_while_the_replica_is_down_and_return_to_it(replica: Replica,
                                                                                    make_user: Any) -> None:
    supervisor = make_user("supervisor")
    url = replica.ready_url()
    deadline = time.monotonic() + 30
    while not _replayed(url, supervisor.username):
        assert time.monotonic() < deadline, "the replica did not replay the new user within 30 s"
        time.sleep(0.2)
    assert libpq_conninfo(settings.DATABASES["default"]) != url

    client = ReportsClient(supervisor.username, url)
    try:
        healthy = client.get()
        assert healthy["status"] == 200 and healthy["replica"] > 0, healthy

        pid = replica.pid()
        assert pid is not None
        replica.stop(pid)
        down = client.get()
        assert down["status"] == 200 and down["replica"] == 0 and down["primary"] > 0, down
        assert down["fallbacks"].get("unreachable", 0) >= 1, down
        assert down["seconds"] < 10, down  # connect_timeout bounds it: never a hung request

        replica.start()
        replica.ready_url()
        # Restarted, it replays and reconnects to the primary's WAL stream first; until then it counts as lagging.
        deadline = time.monotonic() + 30
        while (back := client.get())["replica"] == 0:
            assert back["status"] == 200, back
            assert time.monotonic() < deadline, f"reads did not return to the replica within 30 s: {back}"
            time.sleep(0.5)
    finally:
        client.close()
