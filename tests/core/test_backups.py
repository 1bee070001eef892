"""Backups: a dump restored into another database gives the same rows (counts and checksums),
old backups go after the retention, and a failed restore changes nothing."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import backups
from core.database import database_url, libpq_conninfo
from core.models import BackupRun
from core.tasks import daily_backup
from reports.metrics import ServiceCollector
from tests.factories import AgentProfileFactory, CustomerProfileFactory
from tests.migration_replay import replay_schedule

pytestmark = pytest.mark.server_kind  # pg_dump and pg_restore reach the server through a socket folder or TCP


def _admin_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(libpq_conninfo({**settings.DATABASES["default"], "NAME": "postgres"}), autocommit=True)


@pytest.fixture
def empty_database() -> Iterator[dict[str, Any]]:
    restored = f"{connection.settings_dict['NAME']}_restored"  # the test database's own name is per xdist worker
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        yield {**settings.DATABASES["default"], "NAME": restored}
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


def _fingerprint(database: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Each table's row count and an md5 over its rows in a fixed order."""
    with psycopg.connect(libpq_conninfo(database)) as db:
        tables = [row[0] for row in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        found = {}
        for table in tables:
            count, digest = db.execute(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{table}" t'
            ).fetchone()  # type: ignore[misc]
            found[table] = (count, digest)
        return found


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_gives_the_same_rows(tmp_path: Path, empty_database: dict[str, Any]) -> None:
    CustomerProfileFactory.create_batch(5, user__phone="13800000000", address="北京市朝阳区建国路 1 号")
    AgentProfileFactory.create_batch(2)
    call_command("backup", dir=str(tmp_path))
    (dump,) = tmp_path.glob("service-center-*.dump")
    assert dump.stat().st_size > 0 and not list(tmp_path.glob("*.partial"))

    # The command, with the target as a URL: the embedded server's socket folder travels in it.
    call_command("restore", str(dump), yes=True, database_url=database_url(empty_database))
    original = _fingerprint(settings.DATABASES["default"] | {"NAME": connection.settings_dict["NAME"]})
    restored = _fingerprint(empty_database)
    # The run is recorded once the dump is written, so the dump holds every row but that one.
    assert original.pop("core_backuprun")[0] == 1 and restored.pop("core_backuprun")[0] == 0
    assert restored == original
    assert original["profiles_customerprofile"][0] == 5
    # Encrypted columns travel as ciphertext: the dump never holds the address in clear.
    assert "建国路".encode() not in dump.read_bytes()


def test_restore_needs_confirmation_and_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "x.dump"))
    with pytest.raises(CommandError, match="no such backup"):
        call_command("restore", str(tmp_path / "missing.dump"), yes=True)
    with pytest.raises(CommandError, match="--database-url must be a postgresql:// URL"):
        call_command("restore", str(tmp_path / "x.dump"), yes=True, database_url="mysql://u@h/db")


def test_backups_older_than_the_retention_are_deleted_and_nothing_else(tmp_path: Path, settings: Any) -> None:
    settings.BACKUP_RETENTION_DAYS = 90
    now = timezone.now()
    names = {
        days: timezone.localtime(now - timedelta(days=days)).strftime(backups.NAME_FORMAT) for days in (1, 89, 91, 400)
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"dump")
    (tmp_path / "notes.txt").write_text("keep me")
    removed = backups.prune(directory=tmp_path, now=now)
    assert sorted(path.name for path in removed) == sorted([names[91], names[400]])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([names[1], names[89], "notes.txt"])


@pytest.mark.django_db
def test_the_backup_runs_every_night() -> None:
    applied = ("core", "0004_nightly_backup_schedule")
    assert applied in MigrationRecorder(connection).applied_migrations()
    # A transactional test's flush truncates data rows under --reuse-db, so replay the migration with
    # the models as they were then, exactly as `migrate` runs it (twice: it must not duplicate).
    module = "core.migrations.0004_nightly_backup_schedule"
    historical_apps = MigrationExecutor(connection).loader.project_state(applied).apps
    replay_schedule(module, historical_apps, reverse=True)
    replay_schedule(module, historical_apps)
    replay_schedule(module, historical_apps)
    task = PeriodicTask.objects.get(task="core.tasks.daily_backup")
    assert task.enabled and task.crontab is not None
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "30", "Asia/Shanghai")


@pytest.mark.django_db
def test_each_backup_run_is_recorded_for_admin_and_metrics(tmp_path: Path, settings: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    settings.BACKUP_DIR = str(tmp_path)
    daily_backup.apply()
    connect_to = backups.client_command_args
    monkeypatch.setattr(backups, "client_command_args", lambda database: connect_to({**database, "NAME": "no_such_db"}))
    with pytest.raises(backups.BackupError, match="no_such_db"):
        daily_backup.apply(throw=True)

    ok, failed = BackupRun.objects.get(succeeded=True), BackupRun.objects.get(succeeded=False)
    assert ok.trigger == failed.trigger == BackupRun.Trigger.SCHEDULE
    assert ok.size_bytes and (tmp_path / ok.file_name).stat().st_size == ok.size_bytes
    assert "no_such_db" in failed.error and not failed.file_name
    assert not list(tmp_path.glob("*.partial"))
    assert backups.latest_runs() == {True: ok, False: failed}

    scraped = {(sample.labels["outcome"], sample.value) for family in ServiceCollector().collect()
               if family.name == "service_center_backup_last_run_timestamp_seconds" for sample in family.samples}
    assert scraped == {("success", ok.started_at.timestamp()), ("failure", failed.started_at.timestamp())}


@pytest.mark.django_db
def test_supervisors_read_backup_runs_in_admin_and_cannot_edit_them(client_for: Any, tmp_path: Path) -> None:
    run = BackupRun.objects.create(trigger=BackupRun.Trigger.SCHEDULE, started_at=timezone.now(),
                                   finished_at=timezone.now(), succeeded=False, error="pg_dump failed (1): boom")
    admin = client_for("admin")
    listing = admin.get("/admin/core/backuprun/")
    assert listing.status_code == 200 and b"pg_dump failed" not in listing.content
    detail = admin.get(f"/admin/core/backuprun/{run.pk}/change/")
    assert detail.status_code == 200 and b"pg_dump failed (1): boom" in detail.content
    assert admin.post(f"/admin/core/backuprun/{run.pk}/change/", {"error": "hidden"}).status_code == 403
    assert client_for("agent").get("/admin/core/backuprun/").status_code == 302
