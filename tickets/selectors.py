"""Every read of tickets, in one module: who may see what, the queue views (keyset-paged, capped counts),
ticket detail, the facts the reports roll up, and (below "Desk, customer pages and API") the thread, search,
look-ups and saved views the desk pages and the API show.

Every select/prefetch decision is made here once, so a page's query count is constant; every read of a
ticket a person asked for starts from the user's sight (`visible_tickets`, built on `_sight_filter`), so the
access rule stays in one place.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core import config_cache, side_contacts
from core.facts import Branch, FactQuery, grouped_facts, in_window, seconds_between
from core.keyset import Keyset
from core.prepared import PreparedQuery
from profiles.models import Team
from profiles.roles import Role
from profiles.selectors import agent_users, user_has_role
from tickets import cached_config, search
from tickets.models import (
    OPEN_STATUSES,
    BulkJob,
    CallRecord,
    CannedResponse,
    Macro,
    Mailbox,
    Notification,
    SatisfactionSurvey,
    SavedView,
    SideAttachment,
    SideConversation,
    SideMessage,
    SlaEvent,
    SocialSource,
    Ticket,
    TicketAttachment,
    TicketMessage,
    WeChatAccount,
)
from tickets.search_query import TicketQuery

COUNT_CAP = 1000
DUE_SOON = timedelta(hours=1)
PAGE_SIZE = 25
# The queue's order and page key: most urgent first; the (..., due_at, id) indexes seek to a cursor.
QUEUE_KEYSET = Keyset(("due_at", "id"))
MESSAGE_PAGE = 50
_OPEN = [str(status) for status in OPEN_STATUSES]


def _user_pii(relation: str) -> tuple[str, ...]:
    return (f"{relation}__phone", f"{relation}__email")


class QueueView(StrEnum):
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    BREACHED = "breached"
    DUE_SOON = "due_soon"


QUEUE_VIEW_LABELS = {
    QueueView.MINE: _("Mine"),
    QueueView.TEAM: _("My teams"),
    QueueView.UNASSIGNED: _("Unassigned"),
    QueueView.BREACHED: _("SLA breached"),
    QueueView.DUE_SOON: _("Due soon"),
}


@dataclass(frozen=True)
class QueueFilters:
    channel: str = ""
    priority: str = ""
    status: str = ""
    tag: str = ""


@dataclass
class QueuePage:
    tickets: list[Ticket]
    next_cursor: str | None


@dataclass
class TicketDetail:
    ticket: Ticket
    messages: list[TicketMessage]
    older_cursor: int | None
    children: list[Ticket] = field(default_factory=list)
    linked: list[Ticket] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)


def sees_all_tickets(user: Any) -> bool:
    return user_has_role(user, Role.SUPERVISOR, Role.QA, Role.ADMIN)


def _teams_of(user_id: int) -> QuerySet[Team, Any]:
    """The ids of the teams an agent belongs to, as a subquery (or read as a list by team_ids_for)."""
    return Team.objects.filter(agents__user_id=user_id).values("pk")


def team_ids_for(user: Any) -> list[int]:
    """Read once per request (tickets.apps drops it when a membership changes)."""
    return config_cache.per_scope(f"team_ids:{user.pk}", lambda: list(
        _teams_of(user.pk).values_list("pk", flat=True)))


class _Sight(StrEnum):
    """Which tickets a user sees, by role: each is one shape of SQL, with the user's id as its one value."""

    ALL = "all"
    DESK = "desk"
    OWN = "own"


def _sight(user: Any) -> _Sight | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if sees_all_tickets(user):
        return _Sight.ALL
    return _Sight.DESK if user.has_perm("profiles.use_desk") else _Sight.OWN


def _sight_filter(sight: _Sight, user_id: int) -> Q:
    if sight is _Sight.ALL:
        return Q()
    if sight is _Sight.DESK:
        # The teams as a subquery, not a list read first: one query less on every ticket page.
        return Q(team_id__in=_teams_of(user_id)) | Q(assignee_id=user_id)
    return Q(customer_id=user_id)


def visible_tickets(user: Any) -> QuerySet[Ticket]:
    """Supervisors, QA and admins see every ticket; agents their teams' and their own; customers theirs."""
    sight = _sight(user)
    if sight is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(_sight_filter(sight, user.pk))


def ticket_for_user(user: Any, ticket_id: int) -> Ticket:
    """Fetch and check in one step: a ticket the user may not see is indistinguishable from none."""
    ticket = visible_tickets(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404("ticket not found")
    return ticket


def _queue_base(user: Any, view: QueueView, now: datetime) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(status__in=_OPEN)
    if view == QueueView.MINE:
        return tickets.filter(assignee_id=user.pk)
    team_ids = team_ids_for(user)
    # Supervisors without a team of their own watch every team.
    if team_ids or not sees_all_tickets(user):
        tickets = tickets.filter(team_id__in=team_ids)
    if view == QueueView.UNASSIGNED:
        return tickets.filter(assignee__isnull=True)
    if view == QueueView.BREACHED:
        return tickets.filter(due_at__lt=now)
    if view == QueueView.DUE_SOON:
        return tickets.filter(due_at__gte=now, due_at__lt=now + DUE_SOON)
    return tickets


def apply_queue_filters(tickets: QuerySet[Ticket], filters: QueueFilters) -> QuerySet[Ticket]:
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.tag:
        tickets = tickets.filter(tags__contains=[filters.tag])
    return tickets


def queue_queryset(user: Any, view: QueueView | str, *, filters: QueueFilters | None = None,
                   cursor: str | None = None, now: datetime | None = None) -> QuerySet[Ticket]:
    """The rows of a queue view after `cursor`, most urgent first (for `queue` and EXPLAIN in the bench)."""
    now = now or timezone.now()
    tickets = apply_queue_filters(_queue_base(user, QueueView(view), now), filters or QueueFilters())
    # A bad cursor (edited by hand, or from an older version) shows the first page.
    after = QUEUE_KEYSET.decode(Ticket, cursor) if cursor else None
    if after is not None:
        tickets = QUEUE_KEYSET.after(tickets, after)
    # Encrypted contact fields are not shown in a queue; deferring them saves a decryption per row. The
    # customer's profile comes in the same query for the VIP badge.
    # Team, category and SLA policy come from attach_reference_rows, not joins.
    return (tickets.select_related("customer", "customer__customer_profile", "assignee")
            .defer(*_user_pii("customer"), *_user_pii("assignee"), "customer__customer_profile__id_number",
                   "customer__customer_profile__address").order_by(*QUEUE_KEYSET.fields))


def attach_reference_rows(tickets: Iterable[Ticket]) -> None:
    """Each ticket's team, category and SLA policy from the configuration cache, as if select_related had joined
    them. The three joins cost more to plan than the queue's whole query took to run: 2.3 ms of planning with
    them against 0.3 ms without (EXPLAIN SUMMARY, PostgreSQL 15), on every queue and ticket page. A row missing
    from the cache (written after it was loaded) is left to load on access."""
    rows = cached_config.reference_rows()
    for ticket in tickets:
        for relation, by_id in ((Ticket.team, rows.teams), (Ticket.category, rows.categories),
                                (Ticket.sla_policy, rows.sla_policies)):
            row_id = getattr(ticket, relation.field.attname)
            if row_id is None or row_id in by_id:
                relation.field.set_cached_value(ticket, by_id.get(row_id) if row_id is not None else None)


def queue(user: Any, view: QueueView | str, *, filters: QueueFilters | None = None, cursor: str | None = None,
          limit: int = PAGE_SIZE, now: datetime | None = None) -> QueuePage:
    """One page of a queue view, paged by (due time, id), never by OFFSET."""
    rows = list(queue_queryset(user, view, filters=filters, cursor=cursor, now=now)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    attach_reference_rows(rows)
    return QueuePage(tickets=rows, next_cursor=QUEUE_KEYSET.cursor_for(rows[-1]) if has_more and rows else None)


def queue_counts(user: Any, *, filters: QueueFilters | None = None, now: datetime | None = None,
                 cap: int = COUNT_CAP) -> dict[str, str]:
    """Per view: the count up to `cap`, then "1,000+" — a bounded scan, never a full COUNT(*)."""
    now = now or timezone.now()
    capped = [apply_queue_filters(_queue_base(user, view, now), filters or QueueFilters()).order_by().values("pk")
              [: cap + 1] for view in QueueView]
    # One statement of five capped scans: five round trips and five aggregate wrappers were a tenth of the page.
    database = router.db_for_read(Ticket)
    parts: list[str] = []
    params: list[Any] = []
    for tickets in capped:
        try:
            sql, part_params = tickets.query.get_compiler(using=database).as_sql()
        except EmptyResultSet:  # a filter that can match nothing (an agent in no team): Django runs no query
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608 (compiled by Django, values as parameters)
        params.extend(part_params)
    with connections[database].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        counts = cursor.fetchone()
    return {str(view): f"{cap:,}+" if n > cap else str(n) for view, n in zip(QueueView, counts, strict=True)}


def capped_count(tickets: QuerySet[Ticket], cap: int = COUNT_CAP) -> str:
    n = tickets.order_by()[: cap + 1].count()
    return f"{cap:,}+" if n > cap else str(n)


def queue_count(user: Any, view: QueueView | str, *, filters: QueueFilters | None = None,
                now: datetime | None = None, cap: int = COUNT_CAP) -> str:
    tickets = apply_queue_filters(_queue_base(user, QueueView(view), now or timezone.now()), filters or QueueFilters())
    return capped_count(tickets, cap)


def _detail_ticket(sight: _Sight, ticket_id: int, user_id: int | None = None) -> QuerySet[Ticket]:
    sees = _sight_filter(sight, user_id) if user_id is not None else Q()
    return (Ticket.objects.filter(sees).select_related("customer", "customer__customer_profile", "assignee")
            .filter(pk=ticket_id).order_by("pk")[:1])


# The ticket page's reads, compiled once (core.prepared): compiling them cost the page more than running them.
_DETAIL_TICKET = {sight: PreparedQuery(Ticket, functools.partial(_detail_ticket, sight),
                                       arity=1 if sight is _Sight.ALL else 2) for sight in _Sight}


@functools.cache
def _message_page(staff: bool, older: bool, limit: int) -> PreparedQuery[TicketMessage]:
    def build(ticket_id: int, before_id: int | None = None) -> QuerySet[TicketMessage]:
        messages = (
            # How each message travelled by e-mail or another channel (if it did), without the stored raw mail.
            TicketMessage.objects.filter(ticket_id=ticket_id).select_related("author", "email", "outbound", "inbound")
            .defer(*_user_pii("author"), "email__raw", "email__references", "email__counterpart")
            .order_by("-id")
        )
        if not staff:
            messages = messages.filter(kind=TicketMessage.Kind.REPLY)
        if before_id is not None:
            messages = messages.filter(id__lt=before_id)
        return messages[:limit]

    return PreparedQuery(TicketMessage, build, arity=2 if older else 1)


@functools.cache
def _related_tickets(named: int) -> PreparedQuery[Ticket]:
    """Sub-tickets, linked tickets, and the parent and merge target the page names (`named` of them), in one query,
    told apart afterwards. The ids come from a UNION of index scans: an OR across the link table's join made
    PostgreSQL scan every ticket (110 ms at 100,000). Joining parent and merge target to the ticket's own query
    instead quadrupled its planning time (two more instances of the ticket table and its indexes)."""

    def build(ticket_id: int, *named_ids: int) -> QuerySet[Ticket]:
        related_ids = Ticket.objects.filter(parent_id=ticket_id).values("pk").union(
            Ticket.linked.through.objects.filter(from_ticket_id=ticket_id).values("to_ticket_id"))
        if named_ids:
            related_ids = related_ids.union(Ticket.objects.filter(pk__in=named_ids).values("pk"))
        return (
            Ticket.objects.filter(pk__in=related_ids).select_related("assignee")
            .annotate(is_linked=Exists(Ticket.linked.through.objects.filter(from_ticket_id=ticket_id,
                                                                            to_ticket_id=OuterRef("pk"))))
            .order_by("pk")
        )

    return PreparedQuery(Ticket, build, arity=1 + named)


_PAGE_FILES = PreparedQuery(TicketAttachment, lambda ticket_id, low, high: TicketAttachment.objects.filter(
    message_id__in=TicketMessage.objects.filter(ticket_id=ticket_id, id__gte=low, id__lte=high).values("id"))
    .order_by("pk"), arity=3)
_CALLS = PreparedQuery(CallRecord, lambda ticket_id: CallRecord.objects.filter(ticket_id=ticket_id)
                       .select_related("agent").defer(*_user_pii("agent")).order_by("started_at"))


def ticket_detail(user: Any, ticket_id: int, *, before_id: int | None = None, limit: int = MESSAGE_PAGE
                  ) -> TicketDetail:
    """The ticket with its newest messages (older ones by `before_id`), in a constant number of queries.

    Customers never see internal notes.
    """
    sight = _sight(user)
    if sight is None:
        raise Http404("ticket not found")
    ticket = _DETAIL_TICKET[sight].first(*((ticket_id,) if sight is _Sight.ALL else (ticket_id, user.pk)))
    if ticket is None:
        raise Http404("ticket not found")
    attach_reference_rows([ticket])
    messages = _message_page(user.has_perm("profiles.use_desk"), before_id is not None, limit + 1)
    page = messages.all(ticket.pk, *(() if before_id is None else (before_id,)))
    # Each message's files as `message.files` (a list, as Prefetch(to_attr=...) gives): those of the ticket's
    # messages in the page's id range, so the statement takes no list of ids and is compiled once.
    files: dict[int, list[TicketAttachment]] = {message.pk: [] for message in page}
    if page:
        for attachment in _PAGE_FILES.all(ticket.pk, page[-1].pk, page[0].pk):
            if attachment.message_id in files:
                files[attachment.message_id].append(attachment)
    for message in page:
        message.files = files[message.pk]
    older = page[limit - 1].pk if len(page) > limit else None
    page = list(reversed(page[:limit]))
    named_ids = [pk for pk in (ticket.parent_id, ticket.merged_into_id) if pk is not None]
    related = _related_tickets(len(named_ids)).all(ticket.pk, *named_ids)
    by_id = {other.pk: other for other in related}
    for relation in (Ticket.parent, Ticket.merged_into):
        named_id = getattr(ticket, relation.field.attname)
        # Not found: merged or parent tickets are never deleted, but the page must not fail if one was.
        relation.field.set_cached_value(ticket, by_id.get(named_id) if named_id is not None else None)
    children = [other for other in related if other.parent_id == ticket.pk]
    linked = [other for other in related if getattr(other, "is_linked", False)]
    return TicketDetail(ticket=ticket, messages=page, older_cursor=older, children=children, linked=linked,
                        calls=_CALLS.all(ticket.pk))


def customer_tickets(user: Any, *, limit: int = 50) -> list[Ticket]:
    """"My tickets" in the help center, newest first."""
    return list(Ticket.objects.filter(customer_id=user.pk).select_related("team").order_by("-created_at")[:limit])


def canned_responses_for(user: Any, *, language: str = "") -> list[CannedResponse]:
    """Shared responses plus the user's own, from the configuration cache (no query once it is warm)."""
    return [response for response in cached_config.canned_responses()
            if response.owner_id in (None, user.pk) and (not language or response.language == language)]


def unread_notifications(user: Any, *, limit: int = 20) -> list[Notification]:
    """The bell's dropdown: the user's unread notifications, newest first."""
    return list(
        Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        .select_related("ticket", "actor").order_by("-created_at")[:limit]
    )


def recent_notifications(user: Any, *, limit: int = 50) -> list[Notification]:
    """The notifications page: read and unread alike, newest first."""
    return list(
        Notification.objects.filter(recipient_id=user.pk)
        .select_related("ticket", "actor").order_by("-created_at", "-pk")[:limit]
    )


def unread_notification_count(user_id: int) -> int:
    """The bell's number (the partial index notification_unread serves it)."""
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def survey_for_ticket(ticket: Ticket) -> SatisfactionSurvey | None:
    return SatisfactionSurvey.objects.filter(ticket_id=ticket.pk).first()


def wechat_account_active(app_id: str) -> WeChatAccount | None:
    """The Official Account a WeChat server request names, if it is configured and switched on."""
    return WeChatAccount.objects.filter(app_id=app_id, is_active=True).first()


def social_source_active(slug: str) -> SocialSource | None:
    """The social channel source a webhook names, if it is configured and switched on."""
    return SocialSource.objects.filter(slug=slug, is_active=True).first()


def call_records() -> QuerySet[CallRecord]:
    return CallRecord.objects.select_related("ticket")


def call_by_id(call_id: str) -> CallRecord:
    """A call record by the CTI provider's call id."""
    call = call_records().filter(call_id=call_id).first()
    if call is None:
        raise Http404("call not found")
    return call


def open_ticket_counts(*, now: datetime | None = None) -> list[tuple[str, str, int, int]]:
    """(status, team name, open tickets, of which past their due time) per status and team, for metrics."""
    now = now or timezone.now()
    rows = (
        Ticket.objects.filter(status__in=_OPEN)
        .values("status", "team__name")
        .annotate(total=Count("id"), breached=Count("id", filter=Q(due_at__lt=now)))
        .order_by("status", "team__name")
    )
    return [(row["status"], row["team__name"] or "", row["total"], row["breached"]) for row in rows]


def sla_event_counts() -> dict[tuple[str, str], int]:
    """How many SLA warnings and breaches have been announced, per target and kind (ever, for a counter)."""
    rows = SlaEvent.objects.values("target", "kind").annotate(total=Count("id")).order_by()
    return {(row["target"], row["kind"]): row["total"] for row in rows}


def sla_risk_by_team(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open tickets per team with how many are due within the hour and how many are past due (live board)."""
    now = now or timezone.now()
    rows = (
        Ticket.objects.filter(status__in=_OPEN)
        .values("team_id", "team__name")
        .annotate(
            open=Count("id"),
            at_risk=Count("id", filter=Q(due_at__gte=now, due_at__lt=now + DUE_SOON)),
            breached=Count("id", filter=Q(due_at__lt=now)),
        )
        .order_by("team__name")
    )
    return [dict(row) for row in rows]


TICKET_FACT_KEYS = ("team_id", "channel", "agent_id")
TICKET_FACT_MEASURES = (
    "created", "solved", "first_response_seconds", "first_responses", "handle_seconds", "handled",
    "reopened", "satisfaction_sum", "satisfaction_count", "sla_breaches", "public_messages",
)


def ticket_daily_facts() -> FactQuery:
    """Ticket facts of a time window per team x channel x agent (reports' daily rollup and live delta).

    Each fact is counted on the day its event happened and charged to the ticket's current team,
    channel and assignee, except a reopen (charged to the ticket as it was when reopened, from its
    history) and a public reply (charged to its author). First response = first agent reply - created;
    handle time = solved - created; satisfaction = attitude + speed + result of a submitted survey
    (three 1-5 scores, so `satisfaction_count` counts surveys and the mean score is sum / (3 x count)).
    """
    ticket = Ticket._meta.db_table
    history = Ticket.history.model._meta.db_table
    current = {"team_id": "t.team_id", "channel": "t.channel", "agent_id": "t.assignee_id"}
    reopened = (
        f"h.status = 'open' AND (SELECT p.status FROM {history} p WHERE p.id = h.id AND p.history_id < h.history_id "  # noqa: S608 (identifiers from model meta, values as parameters)
        "ORDER BY p.history_id DESC LIMIT 1) IN ('solved', 'closed')"
    )
    return grouped_facts(keys=TICKET_FACT_KEYS, measures=TICKET_FACT_MEASURES, branches=[
        Branch(current, {"created": "1"}, f"{ticket} t", when="t.created_at"),
        Branch(current, {"solved": "1", "handle_seconds": seconds_between("t.created_at", "t.solved_at"),
                         "handled": "1"},
               f"{ticket} t", when="t.solved_at"),
        Branch(current, {"first_response_seconds": seconds_between("t.created_at", "t.first_responded_at"),
                         "first_responses": "1"},
               f"{ticket} t", when="t.first_responded_at"),
        Branch({"team_id": "h.team_id", "channel": "h.channel", "agent_id": "h.assignee_id"}, {"reopened": "1"},
               f"{history} h", when="h.history_date", where=reopened),
        Branch(current, {"satisfaction_sum": "s.attitude + s.speed + s.result", "satisfaction_count": "1"},
               f"{SatisfactionSurvey._meta.db_table} s JOIN {ticket} t ON t.id = s.ticket_id", when="s.submitted_at"),
        Branch(current, {"sla_breaches": "1"},
               f"{SlaEvent._meta.db_table} e JOIN {ticket} t ON t.id = e.ticket_id", when="e.created_at",
               where="e.kind = 'breach'"),
        Branch({**current, "agent_id": "m.author_id"}, {"public_messages": "1"},
               f"{TicketMessage._meta.db_table} m JOIN {ticket} t ON t.id = m.ticket_id", when="m.created_at",
               where="m.kind = 'reply' AND NOT m.from_customer"),
    ])


def agent_reply_times_sql() -> str:
    """`agent_id, created_at` of every public desk reply in the window: reports counts active hours from it."""
    return (f"SELECT author_id AS agent_id, created_at FROM {TicketMessage._meta.db_table} "  # noqa: S608 (identifiers from model meta, values as parameters)
            f"WHERE kind = 'reply' AND NOT from_customer AND {in_window('created_at')}")


TICKET_EXPORT_FIELDS = (
    "number", "created_at", "channel", "type", "priority", "status", "team__name", "assignee__display_name",
    "assignee__username", "customer_id", "customer__display_name", "customer__phone", "first_responded_at",
    "solved_at",
)


def tickets_created_between(start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets created in a window, oldest first, for exports (which stream it with values_list().iterator())."""
    return Ticket.objects.filter(created_at__gte=start, created_at__lt=end).order_by("created_at", "id")


def _usable_macros(user_id: int) -> QuerySet[Macro]:
    """Active macros the user may apply: their own, and shared ones for every team or for one of theirs."""
    return (
        Macro.objects.filter(active=True)
        .filter(Q(owner_id=user_id) | Q(owner__isnull=True))
        .filter(Q(team__isnull=True) | Q(team__in=_teams_of(user_id)))
    )


_MACROS = PreparedQuery(Macro, lambda user_id: _usable_macros(user_id).order_by("title", "pk"))


def macros_for(user: Any) -> list[Macro]:
    return _MACROS.all(user.pk)


def macro_for(user: Any, macro_id: int) -> Macro:
    """One macro `user` may apply, or 404 (someone else's personal macro is not there for them)."""
    macro = _usable_macros(user.pk).filter(pk=macro_id).first()
    if macro is None:
        raise Http404
    return macro


def queue_ticket_ids(user: Any, view: QueueView | str, *, filters: QueueFilters | None = None,
                     limit: int = COUNT_CAP) -> list[int]:
    """The ids of a queue view's tickets, most urgent first, at most `limit` (a bulk action's "all matching")."""
    tickets = apply_queue_filters(_queue_base(user, QueueView(view), timezone.now()), filters or QueueFilters())
    return list(tickets.order_by("due_at", "id").values_list("pk", flat=True)[:limit])


def bulk_job_for(user: Any, job_id: int) -> BulkJob:
    """A bulk action's progress: for the agent who started it, and for supervisors."""
    jobs = BulkJob.objects.all() if sees_all_tickets(user) else BulkJob.objects.filter(actor_id=user.pk)
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


# --- Desk, customer pages and API: the thread, attachments, search, look-ups and saved views. ---

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
    return visible_tickets(user).select_related("customer", "team", "assignee", "category", "sla_policy")


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
    ticket_for_user(user, attachment.message.ticket_id)
    return attachment


def call_with_recording(user: Any, call_id: int) -> CallRecord:
    call = CallRecord.objects.filter(pk=call_id).exclude(recording="").first()
    if call is None:
        raise Http404("recording not found")
    ticket_for_user(user, call.ticket_id)
    return call


def customer_recent_tickets(ticket: Ticket, *, limit: int = RECENT_TICKETS) -> list[Ticket]:
    """The customer's other tickets, newest first, for the workbench's customer panel."""
    return recent_tickets_for_customer(ticket.customer_id, limit=limit, exclude_id=ticket.pk)


def recent_tickets_for_customer(customer_id: int, *, limit: int = RECENT_TICKETS, exclude_id: int | None = None
                                ) -> list[Ticket]:
    """A customer's tickets on every channel, newest first: the context an agent needs whichever way the
    customer comes back (a phone call continued in chat, a WeChat message after an e-mail)."""
    found = _recent_tickets(limit, exclude_id is not None)
    return found.all(customer_id) if exclude_id is None else found.all(customer_id, exclude_id)


@functools.cache
def _recent_tickets(limit: int, excluding: bool) -> PreparedQuery[Ticket]:
    def build(customer_id: int, exclude_id: int | None = None) -> QuerySet[Ticket]:
        tickets = Ticket.objects.filter(customer_id=customer_id)
        if exclude_id is not None:
            tickets = tickets.exclude(pk=exclude_id)
        return (tickets.only("pk", "number", "subject", "status", "channel", "created_at")
                .order_by("-created_at")[:limit])

    return PreparedQuery(Ticket, build, arity=2 if excluding else 1)


def searchable_tickets(user: Any, filters: QueueFilters | None = None) -> QuerySet[Ticket]:
    """What `user` may find, narrowed by the queue filters, with the columns a result row shows."""
    tickets = apply_queue_filters(visible_tickets(user), filters or QueueFilters())
    # Contact fields are not shown in results; deferring them saves a decryption per row.
    return tickets.select_related("customer", "team", "assignee").defer(
        "customer__phone", "customer__email", "assignee__phone", "assignee__email")


def search_page(user: Any, query: TicketQuery, *, filters: QueueFilters | None = None,
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
    filters = QueueFilters(**view.filters)
    if view.terms:
        found = search.search(searchable_tickets(user, filters), search.parse(view.terms), user=user,
                              include_notes=is_desk(user), limit=COUNT_CAP + 1)
        return capped_count(found)
    try:
        return queue_count(user, view.queue_view or QueueView.TEAM, filters=filters)
    except ValueError:  # a view name that no longer exists counts nothing
        return "0"


def saved_views_for(user: Any) -> list[SavedViewRow]:
    """The user's own views in their order, then the views colleagues shared with their teams; each with a
    bounded count (one capped query per view)."""
    team_ids = team_ids_for(user)
    views = sorted(
        SavedView.objects.filter(Q(owner_id=user.pk) | Q(team_id__in=team_ids)).select_related("owner", "team")
        [:SAVED_VIEWS_SHOWN],
        key=lambda view: (view.owner_id != user.pk, view.position if view.owner_id == user.pk else 0, view.name))
    return [SavedViewRow(view=view, url=saved_view_url(view), count=_saved_view_count(user, view),
                         own=view.owner_id == user.pk) for view in views]
@dataclass
class SidePanel:
    ticket: Ticket
    conversations: list[SideConversation]
    # Addresses offered to pick: the order's store and couriers, team mailboxes, then addresses written to lately.
    addresses: list[tuple[str, str]]
    # The ticket's order's contacts (core.side_contacts), also offered as one-click picks.
    order_contacts: list[tuple[str, str]]


SIDE_ADDRESS_SUGGESTIONS = 20


def side_panel(user: Any, ticket_id: int) -> SidePanel:
    """A ticket's side conversations with their messages and files, in a constant number of queries whatever
    their number (one more when the ticket names an order: its contacts, core.side_contacts)."""
    ticket = ticket_for_user(user, ticket_id)
    conversations = side_panel_threads(ticket)
    order = [(contact.address, str(contact.label)) for contact in side_contacts.contacts_for_order(ticket.order_number)]
    teams = [(box.address, str(box.team)) for box in Mailbox.objects.filter(is_active=True, team__isnull=False)
             .select_related("team").order_by("address")[:SIDE_ADDRESS_SUGGESTIONS]]
    recent = [(address, "") for address in SideConversation.objects.order_by("-pk")
              .values_list("counterpart", flat=True)[:SIDE_ADDRESS_SUGGESTIONS]]
    # Each address once, with the first (most telling) label it was offered under.
    addresses: dict[str, str] = {}
    for address, label in order + teams + recent:
        addresses.setdefault(address, label)
    return SidePanel(ticket=ticket, conversations=conversations, addresses=list(addresses.items()),
                     order_contacts=order)


def side_conversation_for(user: Any, ticket_id: int, conversation_id: int) -> SideConversation:
    """Fetch and check in one step: a conversation of a ticket the user may see, else 404."""
    ticket = ticket_for_user(user, ticket_id)
    conversation = SideConversation.objects.filter(pk=conversation_id, ticket_id=ticket.pk).first()
    if conversation is None:
        raise Http404("side conversation not found")
    conversation.ticket = ticket
    return conversation


def side_panel_threads(ticket: Ticket) -> list[SideConversation]:
    return list(
        SideConversation.objects.filter(ticket_id=ticket.pk).select_related("created_by", "closed_by")
        .defer(*_user_pii("created_by"), *_user_pii("closed_by"))
        .prefetch_related(Prefetch("messages", queryset=SideMessage.objects.select_related("author")
                                   .defer(*_user_pii("author")).order_by("pk")),
                          Prefetch("messages__attachments", queryset=SideAttachment.objects.order_by("pk")))
        .order_by("-pk")
    )


def side_attachment_for(user: Any, attachment_id: int) -> SideAttachment:
    """A file of a side conversation: only for the desk, and only on a ticket the user may see (else 404)."""
    attachment = SideAttachment.objects.select_related("message__conversation").filter(pk=attachment_id).first()
    if attachment is None or not is_desk(user):
        raise Http404("attachment not found")
    ticket_for_user(user, attachment.message.conversation.ticket_id)
    return attachment
