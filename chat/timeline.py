"""Chats on the customer-360 timeline (core.customer_timeline).

One query whatever the customer: the conversations, each with its first customer message as a subquery.
"""

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from chat.models import ChatMessage, Conversation
from core.customer_timeline import Cursor, TimelineEntry, newest

SUMMARY_CHARS = 140


def chat_entries(customer_id: int, before: Cursor | None, limit: int) -> list[TimelineEntry]:
    first_words = (
        ChatMessage.objects.filter(conversation=OuterRef("pk"), sender=ChatMessage.Sender.CUSTOMER)
        .order_by("seq").values("body")[:1]
    )
    conversations = newest(
        Conversation.objects.filter(customer_id=customer_id).annotate(first_words=Subquery(first_words)), before,
        kind="chat", when_field="started_at", limit=limit)
    return [
        TimelineEntry(
            when=conversation.started_at, kind="chat", pk=conversation.pk, kind_label=_("Chat"),
            title=f"#{conversation.pk} {conversation.get_status_display()}",
            summary=Truncator(conversation.first_words or "").chars(SUMMARY_CHARS),
            # A chat turned into a ticket is read there; the console shows only the agent's live chats.
            url=reverse("desk_tickets:ticket", args=[conversation.ticket_id]) if conversation.ticket_id else "",
            channel=_("Chat · %(channel)s") % {"channel": conversation.get_channel_display()},
        )
        for conversation in conversations
    ]
