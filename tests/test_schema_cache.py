"""The schema cache reaches the embedded server through its socket folder, and a cache it cannot write only
costs time: the suite goes on with the database it migrated."""

from pathlib import Path

import pytest

from tests import schema_cache


def test_the_embedded_servers_socket_folder_and_port_reach_the_client_tools() -> None:
    environment = schema_cache._libpq_environment(
        {"NAME": "test_x", "USER": "", "HOST": "", "PORT": "", "OPTIONS": {"host": "/srv/pg/run", "port": 5433}})
    assert (environment["PGHOST"], environment["PGPORT"], environment["PGDATABASE"]) == ("/srv/pg/run", "5433",
                                                                                          "test_x")
    assert environment["PGUSER"] == "postgres"


def test_a_tcp_server_is_named_by_host_and_port() -> None:
    environment = schema_cache._libpq_environment(
        {"NAME": "t", "USER": "sc", "PASSWORD": "pw", "HOST": "db.internal", "PORT": "6432",
         "OPTIONS": {"sslmode": "require"}})
    assert [environment[name] for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGSSLMODE")] == [
        "db.internal", "6432", "sc", "pw", "require"]


def test_a_failed_dump_warns_and_leaves_no_partial_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(tool: str, arguments: list[str], alias: str) -> None:
        Path(arguments[-1]).write_bytes(b"half a dump")
        raise RuntimeError("pg_dump failed (1): connection refused")

    monkeypatch.setattr(schema_cache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(schema_cache, "_run", refuse)
    with pytest.warns(UserWarning, match="not written: pg_dump failed"):
        schema_cache._save(tmp_path / "schema-abc.dump", "default")
    assert list(tmp_path.iterdir()) == []
