"""Backfill the daily report rollups for a range of past days (e.g. after an import or an outage)."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import rollups


class Command(BaseCommand):
    help = "Roll up report figures for every day from --from to --to (default: yesterday), inclusive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", type=date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", type=date.fromisoformat, help="last day, YYYY-MM-DD")

    def handle(self, *args: Any, first: date | None, last: date | None, **options: Any) -> None:
        yesterday = rollups.local_today() - timedelta(days=1)
        last = last or yesterday
        first = first or last
        if first > last:
            raise CommandError("--from must not be after --to.")
        try:
            count = rollups.rollup_range(first=first, last=last)
        except rollups.UnfinishedDay as error:
            raise CommandError(f"{error.args[0]} is not over yet: roll up days before today only.") from error
        self.stdout.write(f"Rolled up {count} day(s), {first} to {last}.")
