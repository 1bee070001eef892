"""`manage.py reindex_tickets`: (re)build every ticket's search document, batch by batch, with a progress bar.

Needed once after the search migration and after a change to the segmentation dictionary. Tickets are
read by id keyset in batches, so the table is never held in memory; it can be stopped and resumed with
`--from-id`.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from tickets.models import Ticket
from tickets.services import search_index


class Command(BaseCommand):
    help = "Rebuild the search document of every ticket (jieba-segmented tsvectors)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=search_index.BATCH)
        parser.add_argument("--from-id", type=int, default=0, help="Resume after this ticket id.")

    def handle(self, *args: Any, batch_size: int, from_id: int, **options: Any) -> None:
        tickets = Ticket.objects.filter(pk__gt=from_id).order_by("pk")
        last = from_id
        done = 0
        # The bar goes to stderr (the terminal), the summary to stdout.
        with tqdm(total=tickets.count(), unit="tickets", file=sys.stderr, disable=options["verbosity"] < 1,
                  mininterval=1.0) as bar:
            while True:
                ids = list(tickets.filter(pk__gt=last).values_list("pk", flat=True)[: max(1, batch_size)])
                if not ids:
                    break
                done += search_index.rebuild(ids)
                last = ids[-1]
                bar.update(len(ids))
                bar.set_postfix(last_id=last, refresh=False)
        self.stdout.write(self.style.SUCCESS(f"Indexed {done} tickets."))
