from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from service_center.core import backups


class Command(BaseCommand):
    help = "Dump the database (pg_dump custom format) into BACKUP_DIR and delete backups past the retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="Folder for the backup (default: the BACKUP_DIR setting).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backups.backup(directory=options["dir"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        removed = backups.prune(directory=options["dir"])
        self.stdout.write(f"Backup written: {path} ({path.stat().st_size} bytes); "
                          f"{len(removed)} old backup(s) deleted.")
