"""Reads the desk pages, customer pages and API need beyond `tickets.selectors` (which decides access).

Everything here starts from `selectors.visible_tickets`, so the access rule stays in one place.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from tickets import search, selectors
from tickets.models import CallRecord, Ticket, TicketAttachment, TicketMessage
from tickets.search_query import TicketQuery

RECENT_TICKETS = 5
SEARCH_PAGE = 25


@dataclass(frozen=True)
class SearchPage:
    hits: list[search.Hit]
    # The id to page on from (`?before=`), None on the last page.
    next_before: int | None


def is_desk(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("profiles.use_desk"))


def ticket_list_for(user: Any) -> QuerySet[Ticket]:
    """API list rows: the ticket with its people, team and category in one query."""
    return selectors.visible_tickets(user).select_related("customer", "team", "assignee", "category", "sla_policy")


def ticket_by_key(user: Any, key: str | int) -> Ticket:
    """The ticket by id (42) or by number (T2026…) if `user` may see it; 404 otherwise."""
    text = str(key)
    if text[:1] in ("T", "t"):
        lookup = Q(number=text.upper())
    elif text.isdigit():
        lookup = Q(pk=int(text))
    else:
        raise Http404("ticket not found")
    ticket = ticket_list_for(user).select_related("parent", "merged_into", "sla_policy").filter(lookup).first()
    if ticket is None:
        raise Http404("ticket not found")
    return ticket


def ticket_just_written(pk: int) -> Ticket:
    """A ticket the caller has just written: shown to them even if routing moved it out of their sight."""
    return Ticket.objects.select_related("customer", "team", "assignee", "category", "sla_policy").get(pk=pk)


def messages_for(ticket: Ticket, *, include_notes: bool) -> QuerySet[TicketMessage]:
    """The whole thread oldest first (for cursor paging) with authors and attachments."""
    messages = (
        TicketMessage.objects.filter(ticket_id=ticket.pk)
        .select_related("author", "inbound")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("pk")))
        .order_by("id")
    )
    return messages if include_notes else messages.filter(kind=TicketMessage.Kind.REPLY)


def message_for(ticket: Ticket, message_id: int, *, include_notes: bool) -> TicketMessage:
    message = messages_for(ticket, include_notes=include_notes).filter(pk=message_id).first()
    if message is None:
        raise Http404("message not found")
    return message


def attachment_for(user: Any, attachment_id: int) -> TicketAttachment:
    """An attachment on a ticket `user` may see; files on internal notes only for the desk."""
    attachment = TicketAttachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None or (attachment.message.is_note and not is_desk(user)):
        raise Http404("attachment not found")
    selectors.ticket_for_user(user, attachment.message.ticket_id)
    return attachment


def call_with_recording(user: Any, call_id: int) -> CallRecord:
    call = CallRecord.objects.filter(pk=call_id).exclude(recording="").first()
    if call is None:
        raise Http404("recording not found")
    selectors.ticket_for_user(user, call.ticket_id)
    return call


def customer_recent_tickets(ticket: Ticket, *, limit: int = RECENT_TICKETS) -> list[Ticket]:
    """The customer's other tickets, newest first, for the workbench's customer panel."""
    return recent_tickets_for_customer(ticket.customer_id, limit=limit, exclude_id=ticket.pk)


def recent_tickets_for_customer(customer_id: int, *, limit: int = RECENT_TICKETS, exclude_id: int | None = None
                                ) -> list[Ticket]:
    """A customer's tickets on every channel, newest first: the context an agent needs whichever way the
    customer comes back (a phone call continued in chat, a WeChat message after an e-mail)."""
    tickets = Ticket.objects.filter(customer_id=customer_id)
    if exclude_id is not None:
        tickets = tickets.exclude(pk=exclude_id)
    return list(tickets.only("pk", "number", "subject", "status", "channel", "created_at")
                .order_by("-created_at")[:limit])


def searchable_tickets(user: Any, filters: selectors.QueueFilters | None = None) -> QuerySet[Ticket]:
    """What `user` may find, narrowed by the queue filters, with the columns a result row shows."""
    tickets = selectors.apply_queue_filters(selectors.visible_tickets(user), filters or selectors.QueueFilters())
    # Contact fields are not shown in results; deferring them saves a decryption per row.
    return tickets.select_related("customer", "team", "assignee").defer(
        "customer__phone", "customer__email", "assignee__phone", "assignee__email")


def search_page(user: Any, query: TicketQuery, *, filters: selectors.QueueFilters | None = None,
                before: int | None = None, limit: int = SEARCH_PAGE) -> SearchPage:
    """One page of search results with highlighted snippets, in a constant number of queries.

    Internal notes are searched and shown to the desk only.
    """
    include_notes = is_desk(user)
    rows = list(search.search(searchable_tickets(user, filters), query, user=user, include_notes=include_notes,
                              before=before, limit=limit + 1)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return SearchPage(hits=search.hits(rows, query, include_notes=include_notes),
                      next_before=rows[-1].pk if more and rows else None)
