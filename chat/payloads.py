"""The JSON shapes of chat objects, shared by the socket frames, the pages and the broadcasts."""

from typing import Any

from django.urls import reverse

from chat.models import Attachment, ChatMessage, Conversation


def attachment_payload(attachment: Attachment) -> dict[str, Any]:
    url = reverse("chat:attachment", args=[attachment.pk])
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "name": attachment.original_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": url,
        "thumbnail_url": f"{url}?thumbnail=1" if attachment.thumbnail else None,
        "width": attachment.width,
        "height": attachment.height,
        "duration_ms": attachment.duration_ms,
        "transcript": attachment.transcript,
    }


def message_payload(message: ChatMessage) -> dict[str, Any]:
    """A message as both sides see it. A recalled message keeps its place but loses its content."""
    recalled = message.recalled_at is not None
    return {
        "id": message.pk,
        "seq": message.seq,
        "sender": message.sender,
        "author": str(message.author) if message.author_id and message.author else None,
        "kind": message.kind,
        "body": "" if recalled else message.body,
        "attachment": None if recalled or message.attachment is None else attachment_payload(message.attachment),
        "client_id": message.client_id or None,
        "edited": message.edit_count > 0,
        "edit_count": message.edit_count,
        "recalled": recalled,
        "confidence": message.bot_confidence,
        "created_at": message.created_at.isoformat(),
    }


def conversation_payload(
    conversation: Conversation, *, queue_position: int | None = None, wait_seconds: int | None = None
) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "agent": str(conversation.agent) if conversation.agent_id and conversation.agent else None,
        "agent_id": conversation.agent_id,
        "last_seq": conversation.last_seq,
        "queue_position": queue_position,
        "wait_seconds": wait_seconds,
        "rating": conversation.rating,
    }
