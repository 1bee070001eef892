"""Live pushes for chat, hung off the domain events so they go out only after the commit.

Groups: `chat.conversation.<id>` (both participants' sockets), `chat.desk` (every agent
console: the waiting queue moved), `chat.agent.<user_id>` (one agent's console: a chat of
theirs changed, for unread badges).
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chat import selectors, services
from chat.tasks import transcribe_voice
from service_center.core import events
from service_center.core.queueing import enqueue

DESK_GROUP = "chat.desk"


def conversation_group(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


def agent_group(user_id: int) -> str:
    return f"chat.agent.{user_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def on_message(event: events.DomainEvent) -> None:
    message = event.payload["message"]
    frame = {"type": "message", "message": message}
    _send(conversation_group(event.payload["conversation_id"]), {"type": "chat.frame", "frame": frame})
    # The agent's own lines change no badge on their console; everyone else's add an unread one.
    if event.payload["agent_id"] and message["sender"] != "agent":
        _send(agent_group(event.payload["agent_id"]), {"type": "desk.changed"})


def on_message_changed(event: events.DomainEvent) -> None:
    _send(
        conversation_group(event.payload["conversation_id"]),
        {"type": "chat.frame", "frame": {"type": "message_changed", "message": event.payload["message"]}},
    )


def on_read(event: events.DomainEvent) -> None:
    frame = {"type": "read", "role": event.payload["role"], "seq": event.payload["seq"]}
    _send(conversation_group(event.payload["conversation_id"]), {"type": "chat.frame", "frame": frame})
    # Only the agent's own reading clears a badge on their console.
    if event.payload["agent_id"] and event.payload["role"] == "agent":
        _send(agent_group(event.payload["agent_id"]), {"type": "desk.changed"})


def on_conversation(event: events.DomainEvent) -> None:
    # A payload of None only nudges an agent's console (a chat was transferred away from them).
    if event.payload["conversation"] is not None:
        frame = {"type": "conversation", "conversation": event.payload["conversation"]}
        _send(conversation_group(event.payload["conversation_id"]), {"type": "chat.frame", "frame": frame})
    if event.payload["agent_id"]:
        _send(agent_group(event.payload["agent_id"]), {"type": "desk.changed"})


def on_queue(event: events.DomainEvent) -> None:
    _send(DESK_GROUP, {"type": "desk.changed"})
    # Everyone still waiting moves up: tell each their new place.
    for conversation_id, position in selectors.queue_positions().items():
        frame = {"type": "queue", "position": position}
        _send(conversation_group(conversation_id), {"type": "chat.frame", "frame": frame})


def on_voice_uploaded(event: events.DomainEvent) -> None:
    enqueue(transcribe_voice, event.payload["attachment_id"])


# Subscribed on import: ChatConfig.ready() imports this module in every process.
events.subscribe(services.MESSAGE_EVENT, on_message)
events.subscribe(services.MESSAGE_CHANGED_EVENT, on_message_changed)
events.subscribe(services.READ_EVENT, on_read)
events.subscribe(services.CONVERSATION_EVENT, on_conversation)
events.subscribe(services.QUEUE_EVENT, on_queue)
events.subscribe("chat.voice_uploaded", on_voice_uploaded)
