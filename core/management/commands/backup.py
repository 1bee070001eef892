from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import backups
from core.models import BackupRun


class Command(BaseCommand):
    help = "Dump the database (pg_dump custom format) into BACKUP_DIR and delete backups past the retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="Folder for the backup (default: the BACKUP_DIR setting).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = backups.run_and_record(trigger=BackupRun.Trigger.COMMAND, directory=options["dir"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        written = Path(options["dir"] or settings.BACKUP_DIR) / run.file_name
        self.stdout.write(f"Backup written: {written} ({run.size_bytes} bytes); {run.pruned} old backup(s) deleted.")
