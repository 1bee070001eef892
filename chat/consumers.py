"""`/ws/chat/<id>/` (one conversation, for its customer and its agent) and `/ws/chat/desk/`
(an agent console's live nudges). The protocol is documented in chat/PROTOCOL.md."""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from chat import metrics, selectors, services
from chat.errors import ChatError
from chat.payloads import conversation_payload, message_payload
from chat.realtime import DESK_GROUP, Push, agent_group, collecting_pushes, conversation_group
from core.consumers import DirectDispatch, FrameRefused, decode_json_frame
from profiles import selectors as profile_selectors

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
RATE_WINDOW_SECONDS = 10.0
# Longest wait on the channel layer (Redis) for one call. Past it the call is given up: a push is
# lost for live sockets (clients fill gaps on resume) and a disconnect still finishes, so a Redis
# outage can neither stall a socket's frames nor hang Daphne's graceful stop.
LAYER_TIMEOUT_SECONDS = 5.0


def _conversation_frame(conversation: Any) -> dict[str, Any]:
    position = selectors.queue_position(conversation)
    return conversation_payload(conversation, queue_position=position,
                                wait_seconds=selectors.estimated_wait_seconds(position))


def _join_frame(user: Any, conversation_id: int) -> dict[str, Any]:
    conversation, role = selectors.conversation_for_participant(user, conversation_id)
    messages, has_more = selectors.history_page(conversation_id)
    read = selectors.read_positions(conversation)
    return {
        "type": "history",
        "role": role,
        "conversation": _conversation_frame(conversation),
        "messages": [message_payload(message) for message in messages],
        "has_more": has_more,
        "read": read,
        "unread": conversation.last_seq - read[role],
    }


def _older_frame(user: Any, conversation_id: int, before_seq: int) -> dict[str, Any]:
    selectors.conversation_for_participant(user, conversation_id)
    messages, has_more = selectors.history_page(conversation_id, before_seq=before_seq)
    return {"type": "older", "messages": [message_payload(message) for message in messages], "has_more": has_more}


def _gap_frame(user: Any, conversation_id: int, last_seq: int) -> dict[str, Any]:
    conversation, _role = selectors.conversation_for_participant(user, conversation_id)
    messages, has_more = selectors.history_since(conversation_id, after_seq=last_seq)
    return {
        "type": "gap",
        "conversation": _conversation_frame(conversation),
        "messages": [message_payload(message) for message in messages],
        "has_more": has_more,
    }


def _int_field(content: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = content.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ChatError("invalid_frame", _("%(field)s must be a whole number.") % {"field": name})
    return value


def _str_field(content: dict[str, Any], name: str, *, max_length: int | None = None) -> str:
    value = content.get(name, "")
    if not isinstance(value, str):
        raise ChatError("invalid_frame", _("%(field)s must be text.") % {"field": name})
    if max_length is not None and len(value) > max_length:
        raise ChatError("invalid_frame", _("%(field)s is too long.") % {"field": name})
    return value


class _JsonFrames(DirectDispatch, AsyncJsonWebsocketConsumer):
    """Frame hygiene shared by both sockets: size cap, rate limit, JSON errors that keep the socket."""

    user: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recent: deque[float] = deque()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.user is None:
            return  # a refused socket may still deliver frames sent before our close reached it
        if not self._within_rate():
            await self.send_json(ChatError("throttled", _("Too many messages; slow down.")).as_frame())
            return
        try:
            content = decode_json_frame(text_data, max_bytes=settings.CHAT_SOCKET_MAX_FRAME_BYTES)
        except FrameRefused as refused:
            await self.send_json(refused.as_frame())
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json(ChatError("unknown_type", _("Every frame needs a type.")).as_frame())
            return
        try:
            await self.handle(content)
        except ChatError as error:
            frame = error.as_frame()
            if isinstance(content.get("client_id"), str):
                frame["client_id"] = content["client_id"]
            await self.send_json(frame)

    def _within_rate(self) -> bool:
        now = time.monotonic()
        while self._recent and now - self._recent[0] > RATE_WINDOW_SECONDS:
            self._recent.popleft()
        if len(self._recent) >= settings.CHAT_SOCKET_FRAMES_PER_10S:
            return False
        self._recent.append(now)
        return True

    async def dispatch(self, message: dict[str, Any]) -> None:
        if self.user is None and not message["type"].startswith("websocket."):
            return  # a push queued for a socket refused before it joined
        await super().dispatch(message)

    async def handle(self, content: dict[str, Any]) -> None:
        raise NotImplementedError

    async def layer_call(self, operation: str, group: str, *args: Any) -> None:
        """channel_layer.<operation>(group, ...) bounded by LAYER_TIMEOUT_SECONDS; a failure is logged,
        not raised: what it would announce is already committed, and a socket going away must finish."""
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow the cancel Daphne sends a
            # closing consumer, which would then never finish.
            async with asyncio.timeout(LAYER_TIMEOUT_SECONDS):
                await getattr(self.channel_layer, operation)(group, *args)
        except Exception:
            logger.exception("channel layer %s(%s) failed", operation, group)

    async def refuse(self, code: int) -> None:
        # Accept first: only an accepted socket can carry the application close code to a browser.
        await self.accept()
        await self.close(code=code)


class ChatConsumer(_JsonFrames):
    conversation_id: int = 0
    role: str = ""
    # The language of the page holding the socket (`?lang=en`): the assistant answers in it.
    language: str = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        # Subscribed before the history is read: a line committed in between is then in the history
        # or pushed after it (clients merge by id), never in neither. Unlike layer_call this raises:
        # a socket that cannot join its group would never hear a push.
        group = conversation_group(self.conversation_id)
        async with asyncio.timeout(LAYER_TIMEOUT_SECONDS):
            await self.channel_layer.group_add(group, self.channel_name)
        try:
            join = await database_sync_to_async(_join_frame)(user, self.conversation_id)
        except ChatError:
            await self.layer_call("group_discard", group, self.channel_name)
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.user, self.role = user, join["role"]
        self.language = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0][:10]
        self._last_typing = 0.0
        await self.accept()
        await self.send_json(join)

    async def disconnect(self, code: int) -> None:
        if self.user is not None:
            await self.layer_call("group_discard", conversation_group(self.conversation_id),
                                  self.channel_name)

    async def handle(self, content: dict[str, Any]) -> None:
        handlers = {
            "send": self._send_message,
            "edit": self._edit,
            "recall": self._recall,
            "read": self._read,
            "typing": self._typing,
            "history": self._older,
            "resume": self._resume,
            "handoff": self._handoff,
            "end": self._end,
            "rate": self._rate,
            "ping": self._ping,
        }
        handler = handlers.get(content["type"])
        if handler is None:
            raise ChatError("unknown_type", _("Unknown frame type %(type)s.") % {"type": content["type"]})
        await handler(content)

    async def _write(self, service: Callable[..., Any], **kwargs: Any) -> tuple[Any, list[Push]]:
        """Run a chat service in one database call; returns its result and the pushes it committed.

        Off Channels' single database thread (thread_sensitive=False: the event loop's worker pool,
        each thread with its own persistent connection): through that one thread every socket's
        writes queued behind every other's database round trips. Each service is one transaction
        that locks its conversation's row, so sequence numbers stay gapless across threads, and a
        socket handles its frames one at a time, so its own sends stay in order."""
        return await database_sync_to_async(collecting_pushes(service), thread_sensitive=False)(**kwargs)

    async def _push(self, pushes: list[Push]) -> None:
        for group, message in pushes:
            await self.layer_call("group_send", group, message)

    async def _send_message(self, content: dict[str, Any]) -> None:
        arrived = time.perf_counter()
        client_id = _str_field(content, "client_id", max_length=64)
        if not client_id:
            raise ChatError("invalid_frame", _("client_id is required."))
        result, pushes = await self._write(
            services.message_send, conversation_id=self.conversation_id, author=self.user, client_id=client_id,
            body=_str_field(content, "body"), attachment_id=_int_field(content, "attachment", required=False),
            language=self.language,
        )
        message = result.message
        # The ack first: the sender hears "stored" even while the channel layer is slow or down.
        await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk, "seq": message.seq,
                              "duplicate": not result.created})
        metrics.ACK_SECONDS.observe(time.perf_counter() - arrived)
        await self._push(pushes)

    async def _edit(self, content: dict[str, Any]) -> None:
        _message, pushes = await self._write(services.message_edit, message_id=_int_field(content, "id"),
                                             user=self.user, body=_str_field(content, "body"))
        await self._push(pushes)

    async def _recall(self, content: dict[str, Any]) -> None:
        _message, pushes = await self._write(services.message_recall, message_id=_int_field(content, "id"),
                                             user=self.user)
        await self._push(pushes)

    async def _read(self, content: dict[str, Any]) -> None:
        seq = _int_field(content, "seq")
        assert seq is not None
        _seq, pushes = await self._write(services.mark_read, conversation_id=self.conversation_id, user=self.user,
                                         seq=seq)
        await self._push(pushes)

    async def _typing(self, content: dict[str, Any]) -> None:
        now = time.monotonic()
        # Keystrokes arrive many times a second; the other side needs to hear it only now and then.
        if now - self._last_typing < settings.CHAT_TYPING_THROTTLE_SECONDS:
            return
        self._last_typing = now
        await self.layer_call("group_send", conversation_group(self.conversation_id),
                              {"type": "chat.typing", "role": self.role, "sender": self.channel_name})

    async def _older(self, content: dict[str, Any]) -> None:
        before_seq = _int_field(content, "before_seq")
        frame = await database_sync_to_async(_older_frame)(self.user, self.conversation_id, before_seq)
        await self.send_json(frame)

    async def _resume(self, content: dict[str, Any]) -> None:
        last_seq = _int_field(content, "last_seq")
        frame = await database_sync_to_async(_gap_frame)(self.user, self.conversation_id, last_seq)
        await self.send_json(frame)

    async def _handoff(self, content: dict[str, Any]) -> None:
        _conversation, pushes = await self._write(services.conversation_handoff, conversation_id=self.conversation_id,
                                                  customer=self.user, language=self.language)
        await self._push(pushes)

    async def _end(self, content: dict[str, Any]) -> None:
        _conversation, pushes = await self._write(services.conversation_end, conversation_id=self.conversation_id,
                                                  user=self.user)
        await self._push(pushes)

    async def _rate(self, content: dict[str, Any]) -> None:
        rating = _int_field(content, "rating")
        assert rating is not None
        _conversation, pushes = await self._write(
            services.conversation_rate, conversation_id=self.conversation_id, customer=self.user, rating=rating,
            comment=_str_field(content, "comment", max_length=500),
        )
        await self._push(pushes)

    async def _ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    # Channel-layer handlers: frames broadcast by chat.realtime after a commit.
    async def chat_frames(self, event: dict[str, Any]) -> None:
        for frame in event["frames"]:
            await self.send_json(frame)
            moved_away = frame["type"] == "conversation" and frame["conversation"]["agent_id"] != self.user.pk
            if self.role == "agent" and moved_away:
                # Transferred to someone else: this agent may no longer read along.
                await self.layer_call("group_discard", conversation_group(self.conversation_id),
                                      self.channel_name)
                await self.close(code=CLOSE_FORBIDDEN)
                return

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            await self.send_json({"type": "typing", "role": event["role"]})


class DeskConsumer(_JsonFrames):
    """An agent console listens here; `changed` tells it to refresh its chat list and queue."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(profile_selectors.is_agent)(user):
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        await self.accept()
        await self.channel_layer.group_add(DESK_GROUP, self.channel_name)
        await self.channel_layer.group_add(agent_group(user.pk), self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.user is not None:
            await self.layer_call("group_discard", DESK_GROUP, self.channel_name)
            await self.layer_call("group_discard", agent_group(self.user.pk), self.channel_name)

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] != "ping":
            raise ChatError("unknown_type", _("Unknown frame type %(type)s.") % {"type": content["type"]})
        await self.send_json({"type": "pong"})

    async def desk_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "changed"})
