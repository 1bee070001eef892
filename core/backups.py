"""Daily database backups (`pg_dump` custom format) with retention, and their restore.

pg_dump and pg_restore come from the pgserver package (PostgreSQL 16 tools, always installed with
the project): they dump and restore servers of that version or older, the embedded one and the
machine's alike, whereas a Debian client might be older than the server it must dump.
"""

import importlib.util
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.database import client_command_args
from core.models import BackupRun

NAME_FORMAT = "service-center-%Y%m%d-%H%M%S.dump"
_NAME = re.compile(r"^service-center-(\d{8}-\d{6})\.dump$")


class BackupError(Exception):
    pass


def tool(name: str) -> str:
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "pginstall" / "bin" / name
        if bundled.exists():
            return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found (pgserver's tools or a PostgreSQL client)")
    return found


def _run(command: list[str], database: dict[str, Any]) -> None:
    conninfo, password_env = client_command_args(database)
    # The command is built here from the tool's path and our own flags; nothing comes from a user.
    result = subprocess.run(  # noqa: S603
        [*command, f"--dbname={conninfo}"], env={**os.environ, **password_env}, capture_output=True, text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def backup(*, directory: Path | None = None, now: datetime | None = None) -> Path:
    """Dump the database to a new file in `directory`; written under a temporary name first, so a
    crash never leaves a truncated file that looks like a backup."""
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime(now or timezone.now())
    target = directory / stamp.strftime(NAME_FORMAT)
    partial = target.with_suffix(".partial")
    database = settings.DATABASES["default"]
    try:
        _run([tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], database)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(target)
    return target


def run_and_record(*, trigger: BackupRun.Trigger, directory: Path | None = None) -> BackupRun:
    """Back up and prune, and keep a row saying how it went, so a failing nightly backup is seen in admin
    and on /metrics instead of only in a worker's log. The error is raised again after it is recorded."""
    started = timezone.now()
    try:
        path = backup(directory=directory)
        removed = prune(directory=directory)
    except Exception as error:
        BackupRun.objects.create(trigger=trigger, started_at=started, finished_at=timezone.now(), succeeded=False,
                                 error=str(error)[-4000:] or type(error).__name__)
        raise
    return BackupRun.objects.create(trigger=trigger, started_at=started, finished_at=timezone.now(), succeeded=True,
                                    file_name=path.name, size_bytes=path.stat().st_size, pruned=len(removed))


def latest_runs() -> dict[bool, BackupRun | None]:
    """The newest successful and the newest failed run (None when there is none)."""
    return {outcome: BackupRun.objects.filter(succeeded=outcome).order_by("-started_at").first()
            for outcome in (True, False)}


def taken_at(path: Path) -> datetime | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    return timezone.make_aware(datetime.strptime(match.group(1), "%Y%m%d-%H%M%S"))


def prune(*, directory: Path | None = None, now: datetime | None = None,
          retention_days: int | None = None) -> list[Path]:
    """Delete this tool's backups older than the retention; any other file is left alone."""
    directory = Path(directory or settings.BACKUP_DIR)
    days = settings.BACKUP_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    removed = []
    for path in sorted(directory.glob("service-center-*.dump")):
        when = taken_at(path)
        if when is not None and when < cutoff:
            path.unlink()
            removed.append(path)
    return removed


def restore(*, dump: Path, database: dict[str, Any] | None = None) -> None:
    """Replace the objects of `database` (default: this site's) with those in `dump`, in one
    transaction: a failed restore leaves the database as it was."""
    if not dump.is_file():
        raise BackupError(f"no such backup: {dump}")
    _run([tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", str(dump)], database or settings.DATABASES["default"])
