"""The search document of a ticket: jieba-segmented text as tsvectors, kept beside the ticket, not in it."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F
from django.db.models.expressions import CombinedExpression
from django.utils.translation import gettext_lazy as _

from tickets.models.tickets import Ticket


def public_document() -> CombinedExpression:
    """What a customer may find their ticket by: the ticket's own fields and the public replies."""
    return CombinedExpression(F("head"), "||", F("replies"), output_field=SearchVectorField())


def staff_document() -> CombinedExpression:
    """What the desk finds a ticket by: everything, internal notes included (the GIN-indexed expression)."""
    return CombinedExpression(public_document(), "||", F("notes"), output_field=SearchVectorField())


class TicketSearch(models.Model):
    """One row per ticket, written only by `tickets.services.search_index` in single SQL statements.

    Its own table rather than columns on the ticket: a new message appends to `replies` or `notes`
    without rewriting the ticket row or its history, and a ticket saved from a stale object can never
    overwrite a fresher vector. `head` (number, subject, customer name, order number, tags) is rebuilt
    alone when one of those changes; the message parts only grow, except on merge and backfill.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search",
                                  verbose_name=_("ticket"))
    head = SearchVectorField(verbose_name=_("subject and description"))
    replies = SearchVectorField(verbose_name=_("replies"))
    notes = SearchVectorField(verbose_name=_("internal notes"))

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")
        # A short pending list (256 kB, not 4 MB): new and appended documents still go in fast, in batches,
        # while the list's pages, kept by the index after each flush, stay few (18 MB → 14 MB at 100,000).
        indexes = [GinIndex(staff_document(), name="ticket_search_staff", gin_pending_list_limit=256)]

    def __str__(self) -> str:
        return str(self.ticket_id)
