"""The schema cache reaches the embedded server through its socket folder (core.database), and a cache it
cannot write only costs time: the suite goes on with the database it migrated."""

import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests import schema_cache


def test_the_client_tools_reach_the_embedded_server_through_its_socket_folder(monkeypatch: pytest.MonkeyPatch
                                                                              ) -> None:
    """The embedded server's URL names its socket folder as ?host=…, which lands in OPTIONS, not HOST."""
    ran: list[tuple[list[str], dict[str, str]]] = []

    def run(command: list[str], *, env: dict[str, str], **_options: Any) -> subprocess.CompletedProcess[str]:
        ran.append((command, env))
        return subprocess.CompletedProcess(command, 0, "", "")

    database = {"NAME": "test_x", "USER": "postgres", "PASSWORD": "pw", "HOST": "", "PORT": "",
                "OPTIONS": {"host": "/srv/pg/run", "port": 5433, "pool": False}}
    monkeypatch.setattr(schema_cache, "connections", {"default": SimpleNamespace(settings_dict=database,
                                                                                 close=lambda: None)})
    monkeypatch.setattr(schema_cache.subprocess, "run", run)
    schema_cache._run("pg_dump", ["-f", "out.dump"], "default")
    [(command, env)] = ran
    dbname = next(argument for argument in command if argument.startswith("--dbname="))
    assert "host=/srv/pg/run" in dbname and "port=5433" in dbname and "dbname=test_x" in dbname
    assert "pw" not in " ".join(command) and env["PGPASSWORD"] == "pw"  # never on a command line
    assert command[-2:] == ["-f", "out.dump"]


def test_a_failed_dump_warns_and_leaves_no_partial_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(tool: str, arguments: list[str], alias: str) -> None:
        Path(arguments[-1]).write_bytes(b"half a dump")
        raise RuntimeError("pg_dump failed (1): connection refused")

    monkeypatch.setattr(schema_cache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(schema_cache, "_run", refuse)
    with pytest.warns(UserWarning, match="not written: pg_dump failed"):
        schema_cache._save(tmp_path / "schema-abc.dump", "default")
    assert list(tmp_path.iterdir()) == []
