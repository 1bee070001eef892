"""Reads for chat: participants, message pages, the waiting queue, an agent's open chats."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.errors import ChatError
from chat.models import Attachment, ChatMessage, Conversation, ReadReceipt
from core import business_hours as calendar_math
from core.facts import Branch, FactQuery, grouped_facts, in_window, seconds_between
from profiles.models import AgentProfile, CustomerProfile
from profiles.roles import Role
from profiles.selectors import user_has_role
from tickets import business_hours
from tickets import selectors as ticket_selectors
from tickets.models import Channel, Ticket
from tickets.routing import HIGH_VALUE_TAGS, VIP_BOOST_LEVEL

HISTORY_PAGE = 50
GAP_LIMIT = 500


def participant_role(conversation: Conversation, user: Any) -> str | None:
    """"customer" or "agent" for the two people in a conversation; None for everyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    if conversation.customer_id == user.pk:
        return "customer"
    if conversation.agent_id is not None and conversation.agent_id == user.pk:
        return "agent"
    return None


def conversation_for_participant(user: Any, conversation_id: int) -> tuple[Conversation, str]:
    """Fetch and check in one step: someone else's conversation is indistinguishable from none."""
    conversation = Conversation.objects.select_related("customer", "agent").filter(pk=conversation_id).first()
    role = participant_role(conversation, user) if conversation is not None else None
    if conversation is None or role is None:
        raise ChatError("not_found", "conversation not found")
    return conversation, role


def _messages(conversation_id: int) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(conversation_id=conversation_id).select_related("author", "attachment")


def history_page(
    conversation_id: int, *, before_seq: int | None = None, limit: int = HISTORY_PAGE
) -> tuple[list[ChatMessage], bool]:
    """The newest `limit` messages (before `before_seq` if given), oldest first, and whether more exist."""
    messages = _messages(conversation_id)
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    page = list(messages.order_by("-seq")[: limit + 1])
    return list(reversed(page[:limit])), len(page) > limit


def history_since(conversation_id: int, *, after_seq: int, limit: int = GAP_LIMIT) -> tuple[list[ChatMessage], bool]:
    """The messages after `after_seq` (the gap a reconnecting client missed), and whether more exist."""
    page = list(_messages(conversation_id).filter(seq__gt=after_seq).order_by("seq")[: limit + 1])
    return page[:limit], len(page) > limit


def read_positions(conversation: Conversation) -> dict[str, int]:
    """How far the customer and the agent have read, by role."""
    seqs = dict(ReadReceipt.objects.filter(conversation=conversation).values_list("user_id", "last_read_seq"))
    return {
        "customer": seqs.get(conversation.customer_id, 0),
        "agent": seqs.get(conversation.agent_id, 0) if conversation.agent_id else 0,
    }


def open_conversation_for(customer: Any) -> Conversation | None:
    return (
        Conversation.objects.select_related("agent")
        .filter(customer_id=customer.pk, status__in=Conversation.OPEN_STATUSES)
        .first()
    )


def latest_conversation_for(customer: Any) -> Conversation | None:
    return Conversation.objects.select_related("agent").filter(customer_id=customer.pk).order_by("-id").first()


# The customers ticket routing lifts one priority step (tickets.routing.boost_priority) are offered first
# in the chat queue too: gold members and above, the high-value segment, customers tagged high-value.
_PRIORITY_CUSTOMER = (
    Q(customer__customer_profile__vip_level__gte=VIP_BOOST_LEVEL)
    | Q(customer__customer_profile__segment=CustomerProfile.Segment.HIGH_VALUE)
    | Q(customer__customer_profile__tags__overlap=sorted(HIGH_VALUE_TAGS))
)
QUEUE_ORDER = ("-queue_priority", "waiting_since", "id")


def with_queue_priority(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """`queue_priority` 1 for the customers served first, else 0; order waiting chats by QUEUE_ORDER."""
    return conversations.annotate(queue_priority=Case(When(_PRIORITY_CUSTOMER, then=Value(1)), default=Value(0),
                                                      output_field=IntegerField()))


def _waiting() -> QuerySet[Any]:
    # Typed loosely: django-stubs cannot see the `queue_priority` annotation through a helper.
    return with_queue_priority(Conversation.objects.filter(status=Conversation.Status.WAITING))


def waiting_queue(limit: int = 50) -> list[Conversation]:
    return list(_waiting().select_related("customer", "customer__customer_profile").order_by(*QUEUE_ORDER)[:limit])


def queue_position(conversation: Conversation) -> int | None:
    if conversation.status != Conversation.Status.WAITING or conversation.waiting_since is None:
        return None
    mine = _waiting().filter(pk=conversation.pk).values_list("queue_priority", flat=True).first()
    if mine is None:
        return None
    ahead = _waiting().filter(
        Q(queue_priority__gt=mine)
        | Q(queue_priority=mine, waiting_since__lt=conversation.waiting_since)
        | Q(queue_priority=mine, waiting_since=conversation.waiting_since, id__lt=conversation.pk)
    )
    return ahead.count() + 1


def queue_positions(limit: int = 200) -> dict[int, int]:
    """Position of each waiting conversation (1 = next), for pushing updates as the queue moves."""
    ids = _waiting().order_by(*QUEUE_ORDER).values_list("pk", flat=True)[:limit]
    return {pk: position for position, pk in enumerate(ids, start=1)}


# How many recent assignments the wait estimate learns from, and how far back it looks for them.
WAIT_SAMPLE = 20
WAIT_SAMPLE_WINDOW = timedelta(hours=24)


def seconds_per_place(now: datetime | None = None) -> float:
    """How long one place in the queue takes: the mean wait of the latest chats agents took (in the last
    day), else `CHAT_WAIT_PER_PLACE_SECONDS`. An estimate shown as such, never a promise."""
    since = (now or timezone.now()) - WAIT_SAMPLE_WINDOW
    recent = (Conversation.objects.filter(assigned_at__gte=since, waiting_since__isnull=False)
              .order_by("-assigned_at").values("pk")[:WAIT_SAMPLE])
    mean = (Conversation.objects.filter(pk__in=Subquery(recent))
            .aggregate(mean=Avg(F("assigned_at") - F("waiting_since")))["mean"])
    return mean.total_seconds() if mean else float(settings.CHAT_WAIT_PER_PLACE_SECONDS)


def estimated_wait_seconds(position: int | None, per_place: float | None = None) -> int | None:
    """The wait shown to the customer at `position`, in whole minutes (at least one); None when not queued."""
    if position is None:
        return None
    per_place = seconds_per_place() if per_place is None else per_place
    return max(1, math.ceil(position * per_place / 60)) * 60


def agent_conversations(agent: Any) -> list[Conversation]:
    """The agent's open chats, each annotated with `unread` (messages after the agent's read pointer)."""
    read_seq = ReadReceipt.objects.filter(conversation=OuterRef("pk"), user_id=agent.pk).values("last_read_seq")[:1]
    return list(
        Conversation.objects.select_related("customer", "customer__customer_profile", "ticket")
        .filter(agent_id=agent.pk, status=Conversation.Status.ACTIVE)
        .annotate(unread=F("last_seq") - Coalesce(Subquery(read_seq), Value(0)))
        .order_by("id")
    )


def last_customer_text(conversation_id: int) -> str:
    last = (
        ChatMessage.objects.filter(conversation_id=conversation_id, sender=ChatMessage.Sender.CUSTOMER,
                                   recalled_at__isnull=True)
        .exclude(body="")
        .order_by("-seq")
        .values_list("body", flat=True)
        .first()
    )
    return last or ""


def agent_capacity(agent: Any) -> int | None:
    return AgentProfile.objects.filter(user_id=agent.pk).values_list("capacity", flat=True).first()


@dataclass(frozen=True)
class Availability:
    """Whether a person can take a chat now; when not, why ("off_hours" or "no_agent")."""

    is_open: bool
    reason: str = ""


def agent_available() -> bool:
    """Some active agent is online with room for another chat."""
    active = Count("user__assigned_chats", filter=Q(user__assigned_chats__status=Conversation.Status.ACTIVE))
    return (
        AgentProfile.objects.filter(presence=AgentProfile.Presence.ONLINE, user__is_active=True)
        .annotate(active_chats=active)
        .filter(active_chats__lt=F("capacity"))
        .exists()
    )


def desk_availability(now: datetime | None = None) -> Availability:
    """Open by the chat channel's business calendar (holidays, 调休 and overrides included) and staffed."""
    calendar = business_hours.desk_calendar(channel=Channel.CHAT)
    if calendar is not None and not calendar_math.is_open_at(calendar, now or timezone.now()):
        return Availability(is_open=False, reason="off_hours")
    if not agent_available():
        return Availability(is_open=False, reason="no_agent")
    return Availability(is_open=True)


def expected_response_at(ticket: Ticket) -> datetime | None:
    """When the desk promises a first answer: the SLA's business-time due time, else the next opening."""
    if ticket.first_response_due_at is not None:
        return ticket.first_response_due_at
    calendar = business_hours.desk_calendar(channel=ticket.channel)
    return calendar_math.next_opening(calendar, ticket.created_at) if calendar is not None else None


def left_message_for(customer: Any, ticket_id: int) -> Ticket:
    """A ticket the customer left from the chat widget; anything else is indistinguishable from none."""
    ticket = Ticket.objects.filter(pk=ticket_id, customer_id=customer.pk, source="leave_message").first()
    if ticket is None:
        raise ChatError("not_found", "ticket not found")
    return ticket


def may_ticket(conversation: Conversation, user: Any) -> bool:
    """The conversation's agent and supervisors may turn a chat into a ticket; nobody else."""
    if not getattr(user, "is_authenticated", False):
        return False
    if conversation.agent_id is not None and conversation.agent_id == user.pk:
        return True
    return user_has_role(user, Role.SUPERVISOR, Role.ADMIN)


def conversation_for_ticketing(user: Any, conversation_id: int) -> Conversation | None:
    """Fetch and check in one step: a chat the user may not ticket is indistinguishable from none."""
    conversation = (
        Conversation.objects.select_related("customer", "agent", "ticket").filter(pk=conversation_id).first()
    )
    return conversation if conversation is not None and may_ticket(conversation, user) else None


def customer_tickets_for_linking(user: Any, conversation: Conversation, limit: int = 20) -> list[Ticket]:
    """The conversation customer's tickets that `user` may see, newest first (the "attach to" choices)."""
    return list(
        ticket_selectors.visible_tickets(user).filter(customer_id=conversation.customer_id)
        .only("pk", "number", "subject", "status", "created_at").order_by("-created_at")[:limit]
    )


def customer_ticket_for_linking(user: Any, conversation: Conversation, ticket_id: int) -> Ticket | None:
    return ticket_selectors.visible_tickets(user).filter(pk=ticket_id, customer_id=conversation.customer_id).first()


def transcript_messages(conversation_id: int) -> list[ChatMessage]:
    return list(_messages(conversation_id).order_by("seq"))


def may_download(user: Any, attachment: Attachment) -> bool:
    """The two participants; QA and supervisors (who read chats); desk users who see the chat's ticket."""
    conversation = attachment.conversation
    if participant_role(conversation, user) is not None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm("chat.view_chatmessage"):
        return True
    return conversation.ticket_id is not None and ticket_selectors.visible_tickets(user).filter(
        pk=conversation.ticket_id).exists()


def embed_customer(external_id: str) -> Any:
    """The active customer a shop knows by `external_id` (the embed token names them), or None.

    Only an account that is a customer and nothing else: a token must never open a session with staff
    powers, which would skip the password and the second factor those need."""
    profile = (CustomerProfile.objects.select_related("user")
               .filter(external_id=external_id, user__is_active=True, user__is_superuser=False,
                       user__is_staff=False).first())
    if profile is None or set(profile.user.role_names) != {str(Role.CUSTOMER)}:
        return None
    return profile.user


def waiting_by_team() -> dict[int | None, int]:
    """Chats waiting for an agent per team (None: not routed to a team), for the live board."""
    rows = (Conversation.objects.filter(status=Conversation.Status.WAITING)
            .values("team_id").annotate(waiting=Count("id")).order_by())
    return {row["team_id"]: row["waiting"] for row in rows}


CHAT_FACT_KEYS = ("team_id", "channel", "agent_id")
CHAT_FACT_MEASURES = (
    "assigned", "wait_seconds", "ended", "handle_seconds", "handled", "rating_sum", "rating_count",
    "agent_messages",
)


def chat_daily_facts() -> FactQuery:
    """Chat facts of a time window per team x channel x agent (reports' daily rollup and live delta).

    Assigned on the day an agent took the chat (wait = assigned - waiting since); ended, handle time
    (ended - assigned) and the customer's 1-5 rating on the day it ended; agent messages (recalled
    ones excluded) on the day they were sent, charged to their author.
    """
    conversation = Conversation._meta.db_table
    keys = {"team_id": "c.team_id", "channel": "c.channel", "agent_id": "c.agent_id"}
    return grouped_facts(keys=CHAT_FACT_KEYS, measures=CHAT_FACT_MEASURES, branches=[
        Branch(keys, {"assigned": "1",
                      "wait_seconds": f"COALESCE({seconds_between('c.waiting_since', 'c.assigned_at')}, 0)"},
               f"{conversation} c", when="c.assigned_at"),
        Branch(keys, {"ended": "1",
                      "handle_seconds": f"COALESCE({seconds_between('c.assigned_at', 'c.ended_at')}, 0)",
                      "handled": "CASE WHEN c.assigned_at IS NULL THEN 0 ELSE 1 END",
                      "rating_sum": "COALESCE(c.rating, 0)",
                      "rating_count": "CASE WHEN c.rating IS NULL THEN 0 ELSE 1 END"},
               f"{conversation} c", when="c.ended_at"),
        Branch({**keys, "agent_id": "m.author_id"}, {"agent_messages": "1"},
               f"{ChatMessage._meta.db_table} m JOIN {conversation} c ON c.id = m.conversation_id",
               when="m.created_at", where="m.sender = 'agent' AND m.recalled_at IS NULL"),
    ])


def agent_message_times_sql() -> str:
    """`agent_id, created_at` of every chat message an agent sent in the window (for active hours)."""
    return (f"SELECT author_id AS agent_id, created_at FROM {ChatMessage._meta.db_table} "  # noqa: S608 (identifiers from model meta, values as parameters)
            f"WHERE sender = 'agent' AND recalled_at IS NULL AND {in_window('created_at')}")
