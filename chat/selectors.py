"""Reads for chat: participants, message pages, the waiting queue, an agent's open chats."""

from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from chat.errors import ChatError
from chat.models import ChatMessage, Conversation, ReadReceipt
from profiles.models import AgentProfile

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


def waiting_queue(limit: int = 50) -> list[Conversation]:
    return list(
        Conversation.objects.select_related("customer")
        .filter(status=Conversation.Status.WAITING)
        .order_by("waiting_since", "id")[:limit]
    )


def queue_position(conversation: Conversation) -> int | None:
    if conversation.status != Conversation.Status.WAITING or conversation.waiting_since is None:
        return None
    waiting = Conversation.objects.filter(status=Conversation.Status.WAITING)
    ahead = waiting.filter(waiting_since__lt=conversation.waiting_since)
    return ahead.count() + 1


def queue_positions(limit: int = 200) -> dict[int, int]:
    """Position of each waiting conversation (1 = next), for pushing updates as the queue moves."""
    ids = Conversation.objects.filter(status=Conversation.Status.WAITING).order_by("waiting_since", "id")
    return {pk: position for position, pk in enumerate(ids.values_list("pk", flat=True)[:limit], start=1)}


def agent_conversations(agent: Any) -> list[Conversation]:
    """The agent's open chats, each annotated with `unread` (messages after the agent's read pointer)."""
    read_seq = ReadReceipt.objects.filter(conversation=OuterRef("pk"), user_id=agent.pk).values("last_read_seq")[:1]
    return list(
        Conversation.objects.select_related("customer", "customer__customer_profile")
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


def message_for_participant(user: Any, message_id: int) -> ChatMessage:
    message = ChatMessage.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None or participant_role(message.conversation, user) is None:
        raise ChatError("not_found", "message not found")
    return message
