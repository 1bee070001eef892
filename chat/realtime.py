"""Live pushes for chat, hung off the domain events so they go out only after the commit.

Groups: `chat.conversation.<id>` (both participants' sockets), `chat.desk` (every agent
console: the waiting queue moved), `chat.agent.<user_id>` (one agent's console: a chat of
theirs changed, for unread badges).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chat import selectors, services
from core import events
from core.queueing import enqueue
from profiles.models import AgentProfile
from profiles.presence import PRESENCE_CHANGED_EVENT
from profiles.services import AGENT_CAPACITY_RAISED_EVENT

DESK_GROUP = "chat.desk"


def conversation_group(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


def agent_group(user_id: int) -> str:
    return f"chat.agent.{user_id}"


Push = tuple[str, dict[str, Any]]
_outbox: ContextVar[list[Push] | None] = ContextVar("chat_outbox", default=None)
P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def _collecting() -> Iterator[list[Push]]:
    pushes: list[Push] = []
    token = _outbox.set(pushes)
    try:
        yield pushes
    finally:
        _outbox.reset(token)


def collecting_pushes(service: Callable[P, R]) -> Callable[P, tuple[R, list[Push]]]:
    """`service` made to hand back its pushes, (group, message) in commit order, instead of sending them.

    A socket consumer runs services in a database worker thread; sending from there would hop back
    to the event loop and hold that thread through Redis round trips per push, so other sockets'
    database work would queue behind Redis. The consumer sends them from its event loop instead.
    """

    def run(*args: P.args, **kwargs: P.kwargs) -> tuple[R, list[Push]]:
        with _collecting() as pushes:
            return service(*args, **kwargs), pushes

    return run


def _send(group: str, message: dict[str, Any]) -> None:
    pushes = _outbox.get()
    if pushes is not None:
        pushes.append((group, message))
        return
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def _frames(conversation_id: int, *frames: dict[str, Any]) -> None:
    _send(conversation_group(conversation_id), {"type": "chat.frames", "frames": list(frames)})


def on_message(event: events.DomainEvent) -> None:
    message = event.payload["message"]
    frames = [{"type": "message", "message": message}]
    if event.payload["read_by"]:
        frames.append({"type": "read", "role": event.payload["read_by"], "seq": message["seq"]})
    _frames(event.payload["conversation_id"], *frames)
    # Every line changes the agent's badge: someone else's adds an unread one, their own clears it.
    if event.payload["agent_id"]:
        _send(agent_group(event.payload["agent_id"]), {"type": "desk.changed"})


def on_message_changed(event: events.DomainEvent) -> None:
    _frames(event.payload["conversation_id"], {"type": "message_changed", "message": event.payload["message"]})


def on_read(event: events.DomainEvent) -> None:
    frame = {"type": "read", "role": event.payload["role"], "seq": event.payload["seq"]}
    _frames(event.payload["conversation_id"], frame)
    # Only the agent's own reading clears a badge on their console.
    if event.payload["agent_id"] and event.payload["role"] == "agent":
        _send(agent_group(event.payload["agent_id"]), {"type": "desk.changed"})


def on_conversation(event: events.DomainEvent) -> None:
    # A payload of None only nudges an agent's console (a chat was transferred away from them).
    if event.payload["conversation"] is not None:
        frame = {"type": "conversation", "conversation": event.payload["conversation"]}
        _frames(event.payload["conversation_id"], frame)
    if event.payload["agent_id"]:
        _send(agent_group(event.payload["agent_id"]), {"type": "desk.changed"})


def on_queue(event: events.DomainEvent) -> None:
    _send(DESK_GROUP, {"type": "desk.changed"})
    # Everyone still waiting moves up: tell each their new place.
    per_place = selectors.seconds_per_place()
    for conversation_id, position in selectors.queue_positions().items():
        _frames(conversation_id, {"type": "queue", "position": position,
                                  "wait_seconds": selectors.estimated_wait_seconds(position, per_place)})


def on_agent_presence(event: events.DomainEvent) -> None:
    # An agent who came online can take waiting chats at once.
    if event.payload["presence"] == AgentProfile.Presence.ONLINE:
        enqueue("chat.tasks.assign_waiting")


def on_agent_capacity_raised(event: events.DomainEvent) -> None:
    # An agent with room for more chats can take waiting ones at once.
    enqueue("chat.tasks.assign_waiting")


def on_voice_uploaded(event: events.DomainEvent) -> None:
    enqueue("chat.tasks.transcribe_voice", attachment_id=event.payload["attachment_id"])


# Subscribed on import: ChatConfig.ready() imports this module in every process.
events.subscribe(services.MESSAGE_EVENT, on_message)
events.subscribe(services.MESSAGE_CHANGED_EVENT, on_message_changed)
events.subscribe(services.READ_EVENT, on_read)
events.subscribe(services.CONVERSATION_EVENT, on_conversation)
events.subscribe(services.QUEUE_EVENT, on_queue)
events.subscribe("chat.voice_uploaded", on_voice_uploaded)
events.subscribe(PRESENCE_CHANGED_EVENT, on_agent_presence)
events.subscribe(AGENT_CAPACITY_RAISED_EVENT, on_agent_capacity_raised)
