"""Reads the desk pages, customer pages and API need beyond `tickets.selectors` (which decides access).

Everything here starts from `selectors.visible_tickets`, so the access rule stays in one place.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode

from profiles.models import Team
from profiles.selectors import agent_users
from tickets import search, selectors
from tickets.models import CallRecord, SavedView, Ticket, TicketAttachment, TicketMessage
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


def ticket_out_of_sight(user: Any, ticket_id: int) -> Ticket:
    """A ticket a desk user may not open (another team's, or transferred away): for a read-only summary of
    where it is now, so no desk link is a dead end. Nobody else learns that the ticket exists (404)."""
    ticket = None
    if is_desk(user):
        ticket = Ticket.objects.select_related("team", "assignee").only(
            "pk", "number", "subject", "status", "updated_at", "team__name", "assignee__username",
            "assignee__display_name").filter(pk=ticket_id).first()
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


LOOKUP_LIMIT = 20


def lookup(kind: str, text: str) -> list[dict[str, str]]:
    """Agents (by username or display name) or teams (by name) whose name holds `text`: the suggestions the
    ticket page's assign / transfer / sub-ticket fields show while one types, at most LOOKUP_LIMIT."""
    text = text.strip()[:60]
    if kind == "team":
        teams = Team.objects.filter(name__icontains=text) if text else Team.objects.all()
        return [{"value": name, "label": name} for name in teams.order_by("name").values_list("name", flat=True)[
            :LOOKUP_LIMIT]]
    agents = agent_users()
    if text:
        agents = agents.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    return [{"value": username, "label": f"{display_name or username} ({username})"}
            for username, display_name in agents.order_by("username").values_list("username", "display_name")[
                :LOOKUP_LIMIT]]


@dataclass(frozen=True)
class SavedViewRow:
    view: SavedView
    url: str
    count: str  # capped like the queue tabs: "1,000+" past the cap
    own: bool


SAVED_VIEWS_SHOWN = 40


def saved_view_url(view: SavedView) -> str:
    if view.terms:
        return f"{reverse('desk_tickets:search')}?{urlencode({'q': view.terms, **view.filters})}"
    return f"{reverse('desk_tickets:queue')}?{urlencode({'view': view.queue_view, **view.filters})}"


def _saved_view_count(user: Any, view: SavedView) -> str:
    filters = selectors.QueueFilters(**view.filters)
    if view.terms:
        found = search.search(searchable_tickets(user, filters), search.parse(view.terms), user=user,
                              include_notes=is_desk(user), limit=selectors.COUNT_CAP + 1)
        return selectors.capped_count(found)
    try:
        return selectors.queue_count(user, view.queue_view or selectors.QueueView.TEAM, filters=filters)
    except ValueError:  # a view name that no longer exists counts nothing
        return "0"


def saved_views_for(user: Any) -> list[SavedViewRow]:
    """The user's own views in their order, then the views colleagues shared with their teams; each with a
    bounded count (one capped query per view)."""
    team_ids = selectors.team_ids_for(user)
    views = sorted(
        SavedView.objects.filter(Q(owner_id=user.pk) | Q(team_id__in=team_ids)).select_related("owner", "team")
        [:SAVED_VIEWS_SHOWN],
        key=lambda view: (view.owner_id != user.pk, view.position if view.owner_id == user.pk else 0, view.name))
    return [SavedViewRow(view=view, url=saved_view_url(view), count=_saved_view_count(user, view),
                         own=view.owner_id == user.pk) for view in views]
