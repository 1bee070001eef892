"""Test databases start from a cached, fully migrated schema instead of running every migration again.

Migrating an empty database costs about a minute of CPU here (Django renders tens of thousands of model states
for the ~80 migrations), and every pytest-xdist worker pays it, in every run, in CI too. The first run after a
migration changes does migrate as usual and then dumps the result (pg_dump's custom format) into the user's
cache folder; later runs restore that dump (a few seconds) and send post_migrate again, so content types,
permissions and the role groups always come from the code being tested, never from the dump.

The cache key covers everything a migration's outcome depends on: every migration file, the project modules the
migrations import (a data migration's helpers, custom fields), Django's version and the server's version. A
database that already holds tables (--reuse-db) is migrated the normal way, which then costs almost nothing.
"""

import ast
import hashlib
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.core import management
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections

from core.database import client_command_args
from service_center.launcher import Postgres

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "service-center" / "test-schema"
KEPT_DUMPS = 3


def _project_modules_imported_by(migration: Path) -> Iterator[Path]:
    for node in ast.walk(ast.parse(migration.read_bytes())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        for name in names:
            module = REPO_ROOT.joinpath(*name.split("."))
            for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                if candidate.is_file() and "migrations" not in candidate.parts:
                    yield candidate


def schema_key(server_version: int) -> str:
    migrations = sorted(REPO_ROOT.glob("*/migrations/[0-9]*.py"))
    sources = sorted(set(migrations) | {module for path in migrations for module in _project_modules_imported_by(path)})
    digest = hashlib.sha256(f"django {django.__version__} postgres {server_version}".encode())
    for source in sources:
        digest.update(str(source.relative_to(REPO_ROOT)).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def _inspect(alias: str) -> tuple[bool, int]:
    """Whether the database holds no table yet, and the server's version number."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public'), "
                       "current_setting('server_version_num')::int")
        empty, server_version = cursor.fetchone()
        return bool(empty), int(server_version)


def _run(tool: str, arguments: list[str], alias: str) -> None:
    """`tool` against the alias's database, named as every client tool of the project names it (core.database:
    the embedded server's socket folder sits in OPTIONS, the password goes in the environment)."""
    connections[alias].close()  # pg_restore and pg_dump want the database to themselves
    conninfo, password_env = client_command_args(connections[alias].settings_dict)
    finished = subprocess.run([str(Postgres.bin / tool), f"--dbname={conninfo}", *arguments], capture_output=True,
                              text=True, timeout=300, env={**os.environ, **password_env}, check=False)
    if finished.returncode:
        raise RuntimeError(f"{tool} failed ({finished.returncode}): {finished.stderr.strip()}")


def _migrate_from_cache(real_call_command: Any, name: str, *args: Any, **options: Any) -> Any:
    alias = options.get("database", "default")
    if name != "migrate" or not options.get("run_syncdb"):  # only create_test_db's migrate
        return real_call_command(name, *args, **options)
    empty, server_version = _inspect(alias)
    if not empty:
        return real_call_command(name, *args, **options)
    dump = CACHE_DIR / f"schema-{schema_key(server_version)}.dump"
    if dump.exists():
        try:  # one transaction: a failed restore leaves the database empty, and it is migrated below instead
            _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                                str(dump)], alias)
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as error:
            warnings.warn(f"schema cache: {dump.name} not restored, migrating instead: {error}", stacklevel=1)
        else:
            emit_post_migrate_signal(options.get("verbosity", 0), False, alias)
            return None
    result = real_call_command(name, *args, **options)
    _save(dump, alias)
    return result


def _save(dump: Path, alias: str) -> None:
    """Keep the freshly migrated schema for later runs; a cache that cannot be written only costs time."""
    partial = None
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=CACHE_DIR, suffix=".partial", delete=False) as handle:
            partial = Path(handle.name)
        _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "-f", str(partial)], alias)
        os.replace(partial, dump)  # workers that raced here wrote the same schema
        partial = None
        for stale in sorted(CACHE_DIR.glob("schema-*.dump"), key=lambda path: path.stat().st_mtime)[:-KEPT_DUMPS]:
            stale.unlink(missing_ok=True)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as error:
        warnings.warn(f"schema cache: {dump.name} not written: {error}", stacklevel=1)
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    # Django's create_test_db imports call_command when it runs, so it finds this one.
    real_call_command = management.call_command
    management.call_command = lambda name, *args, **options: _migrate_from_cache(
        real_call_command, name, *args, **options)
