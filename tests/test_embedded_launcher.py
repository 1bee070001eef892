"""The embedded PostgreSQL + Redis path of service_center.launcher, booted for real.

CI normally hands the launcher real servers, so without this test the embedded path (what
`make run` uses on a fresh machine) could rot unnoticed. It needs no Django settings.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent

# Runs inside `launcher exec`: first run writes a row and a key, second run reads them back.
CHILD = """
import json, os, sys
import psycopg, redis

first = sys.argv[1] == "first"
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    version = conn.execute("SELECT version()").fetchone()[0]
    database = conn.execute("SELECT current_database()").fetchone()[0]
    if first:
        conn.execute("CREATE TABLE launcher_marker (note text)")
        conn.execute("INSERT INTO launcher_marker VALUES ('kept')")
    row = conn.execute("SELECT note FROM launcher_marker").fetchone()[0]
client = redis.Redis.from_url(os.environ["REDIS_URL"])
if first:
    client.set("launcher_marker", "kept")
print(json.dumps({
    "version": version, "database": database, "row": row, "key": client.get("launcher_marker").decode(),
    "database_url": os.environ["DATABASE_URL"], "redis_url": os.environ["REDIS_URL"],
}))
"""


def _launch(var_dir: Path, phase: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["SERVICE_CENTER_VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [sys.executable, "-m", "service_center.launcher", "exec", "--", sys.executable, "-c", CHILD, phase],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    report: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def _servers_using(var_dir: Path) -> list[str]:
    """Processes whose command line or working directory is under var_dir (redis retitles itself, so cwd too)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        where = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
        if str(var_dir) in where and proc.pid != os.getpid():
            found.append(f"{proc.pid}: {where}")
    return found


def _assert_nothing_left(var_dir: Path) -> None:
    deadline = time.monotonic() + 5
    while (left := _servers_using(var_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def test_embedded_servers_boot_persist_and_stop(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"

    first = _launch(var_dir, "first")
    assert "PostgreSQL" in first["version"]
    assert first["database"] == "service_center"
    assert first["database_url"].startswith("postgresql://postgres:@/service_center?host=")
    assert first["redis_url"].startswith("redis://127.0.0.1:")
    assert (first["row"], first["key"]) == ("kept", "kept")
    _assert_nothing_left(var_dir)

    second = _launch(var_dir, "second")  # same data dir: the table and the key must still be there
    assert (second["row"], second["key"]) == ("kept", "kept")
    _assert_nothing_left(var_dir)
