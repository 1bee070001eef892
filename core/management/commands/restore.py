from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import backups
from core.database import database_from_url


class Command(BaseCommand):
    help = "Restore a backup made by `backup`, replacing the database's contents (in one transaction)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dump", type=Path, help="The .dump file to restore.")
        parser.add_argument("--database-url", help="Restore into this database instead of the site's own.")
        parser.add_argument("--yes", action="store_true", help="Confirm: the target database's data is replaced.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("Restoring replaces every table of the target database; add --yes to confirm.")
        try:
            database = database_from_url(options["database_url"], setting="--database-url") \
                if options["database_url"] else None
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        try:
            backups.restore(dump=options["dump"], database=database)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {options['dump']}.")
