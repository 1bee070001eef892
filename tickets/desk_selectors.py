"""Reads for the desk pages, customer pages and API: who may see which ticket, queue views, thread.

Access rules in one place (fetch-and-check, like Zulip's `access_ticket`):
- supervisors, QA, administrators and integrators see every ticket;
- agents see tickets of their teams' queues and tickets assigned to them;
- customers see their own tickets;
- everybody else sees none. Someone else's ticket is indistinguishable from no ticket (404).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from profiles.models import Team
from profiles.roles import Role
from profiles.selectors import user_has_role
from tickets.models import NO_DUE, OPEN_STATUSES, CannedResponse, Ticket, TicketAttachment, TicketMessage

_OPEN = [str(status) for status in OPEN_STATUSES]
# Counters stop at this many rows: "1,000+" is as useful as the exact figure and costs a bounded scan.
COUNT_CAP = 1000
DUE_SOON = timedelta(hours=2)
QUEUE_VIEWS = ("mine", "team", "unassigned", "breached", "due_soon")


def sees_all_tickets(user: Any) -> bool:
    return user_has_role(user, Role.SUPERVISOR, Role.QA, Role.ADMIN, Role.INTEGRATOR)


def agent_team_ids(user: Any) -> list[int]:
    return list(Team.objects.filter(agents__user_id=user.pk).values_list("pk", flat=True))


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if not getattr(user, "is_authenticated", False):
        return tickets.none()
    if sees_all_tickets(user):
        return tickets
    if user_has_role(user, Role.AGENT):
        return tickets.filter(Q(team_id__in=agent_team_ids(user)) | Q(assignee_id=user.pk))
    if user_has_role(user, Role.CUSTOMER):
        return tickets.filter(customer_id=user.pk)
    return tickets.none()


def ticket_list_for(user: Any) -> QuerySet[Ticket]:
    """API list rows: the ticket with its people and team in one query."""
    return tickets_visible_to(user).select_related("customer", "team", "assignee", "category")


def ticket_for(user: Any, key: str | int) -> Ticket:
    """The ticket by id or by number (`T2026…`), if `user` may see it; 404 otherwise."""
    tickets = ticket_list_for(user).select_related("parent", "merged_into", "sla_policy")
    text = str(key)
    lookup = Q(number=text.upper()) if text[:1] in ("T", "t") else Q(pk=int(text)) if text.isdigit() else None
    ticket = tickets.filter(lookup).first() if lookup is not None else None
    if ticket is None:
        raise Http404("ticket not found")
    return ticket


def ticket_just_written(pk: int) -> Ticket:
    """A ticket the caller has just created: shown to its creator even if routing put it out of their sight."""
    return Ticket.objects.select_related("customer", "team", "assignee", "category").get(pk=pk)


def messages_for(ticket: Ticket, *, include_notes: bool) -> QuerySet[TicketMessage]:
    """The thread oldest first with authors and attachments; customers never get internal notes."""
    messages = (
        TicketMessage.objects.filter(ticket_id=ticket.pk)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("pk")))
        .order_by("created_at", "id")
    )
    return messages if include_notes else messages.filter(kind=TicketMessage.Kind.REPLY)


def message_for(ticket: Ticket, message_id: int, *, include_notes: bool) -> TicketMessage:
    message = messages_for(ticket, include_notes=include_notes).filter(pk=message_id).first()
    if message is None:
        raise Http404("message not found")
    return message


def attachment_for(user: Any, attachment_id: int) -> TicketAttachment:
    """An attachment on a ticket `user` may see (notes' files only for the desk)."""
    attachment = TicketAttachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("attachment not found")
    ticket = ticket_for(user, attachment.message.ticket_id)
    if attachment.message.is_note and ticket.customer_id == user.pk and not sees_all_tickets(user):
        raise Http404("attachment not found")
    return attachment


@dataclass(frozen=True)
class QueueFilters:
    channel: str = ""
    priority: str = ""
    status: str = ""
    tag: str = ""


def _view_rows(user: Any, view: str, *, now: datetime) -> QuerySet[Ticket]:
    """One queue view; each matches a partial index on (…, due_at, id) over open tickets."""
    if view not in QUEUE_VIEWS:
        raise Http404("unknown view")
    if view == "mine":
        return Ticket.objects.filter(assignee_id=user.pk, status__in=_OPEN)
    tickets = tickets_visible_to(user).filter(status__in=_OPEN)
    if view == "team":
        return tickets.filter(team_id__in=agent_team_ids(user)) if not sees_all_tickets(user) else tickets
    if view == "unassigned":
        return tickets.filter(assignee__isnull=True)
    if view == "breached":
        return tickets.filter(due_at__lte=now)
    return tickets.filter(due_at__gt=now, due_at__lte=now + DUE_SOON)


def _filtered(tickets: QuerySet[Ticket], filters: QueueFilters) -> QuerySet[Ticket]:
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.tag:
        tickets = tickets.filter(tags__contains=[filters.tag])
    return tickets


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    """`<due_at ISO>|<id>` from the "more" link; anything else starts from the top."""
    due_text, _sep, id_text = (value or "").partition("|")
    if not id_text.isdigit():
        return None
    try:
        due = datetime.fromisoformat(due_text)
    except ValueError:
        return None
    return (due, int(id_text)) if due.tzinfo is not None else None


def make_cursor(ticket: Ticket) -> str:
    return f"{ticket.due_at.isoformat()}|{ticket.pk}"


@dataclass(frozen=True)
class QueuePage:
    tickets: list[Ticket]
    next_cursor: str


def queue_page(user: Any, view: str, *, filters: QueueFilters, after: str = "", limit: int = 25,
               now: datetime | None = None) -> QueuePage:
    """Open tickets of one view, most urgent first, paged by keyset `(due_at, id) > cursor` (never OFFSET)."""
    now = now or timezone.now()
    tickets = _filtered(_view_rows(user, view, now=now), filters)
    cursor = parse_cursor(after)
    if cursor is not None:
        due, pk = cursor
        tickets = tickets.filter(Q(due_at__gt=due) | Q(due_at=due, pk__gt=pk))
    rows = list(
        tickets.select_related("customer", "team", "assignee").order_by("due_at", "id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(tickets=rows, next_cursor=make_cursor(rows[-1]) if more and rows else "")


def queue_counts(user: Any, *, filters: QueueFilters, now: datetime | None = None) -> dict[str, int]:
    """Rows per view, each capped at COUNT_CAP + 1 so a huge queue costs a bounded index scan."""
    now = now or timezone.now()
    counts = {}
    for view in QUEUE_VIEWS:
        capped = _filtered(_view_rows(user, view, now=now), filters).order_by().values("pk")[: COUNT_CAP + 1]
        counts[view] = Ticket.objects.filter(pk__in=capped).count()
    return counts


def customer_recent_tickets(ticket: Ticket, *, limit: int = 5) -> list[Ticket]:
    return list(
        Ticket.objects.filter(customer_id=ticket.customer_id).exclude(pk=ticket.pk)
        .only("pk", "number", "subject", "status", "created_at").order_by("-created_at")[:limit]
    )


def my_tickets(user: Any) -> QuerySet[Ticket]:
    """The customer's own tickets, newest first."""
    return Ticket.objects.filter(customer_id=user.pk).select_related("assignee").order_by("-created_at", "-id")


def children_of(ticket: Ticket) -> list[Ticket]:
    return list(Ticket.objects.filter(parent_id=ticket.pk).only("pk", "number", "subject", "status").order_by("pk"))


def canned_responses_for(user: Any) -> list[CannedResponse]:
    """Shared responses and the user's own, in one list."""
    return list(CannedResponse.objects.filter(Q(owner__isnull=True) | Q(owner_id=user.pk)).order_by("title"))


def due_text(ticket: Ticket) -> str:
    return "" if ticket.due_at == NO_DUE else ticket.due_at.isoformat()
