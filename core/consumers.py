"""What every WebSocket consumer of the project shares."""

import json
from typing import Any

from channels.consumer import AsyncConsumer, get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext

from core.input_rules import (
    control_character_path,
    control_message,
    has_control_character,
    json_too_deep,
)


class DirectDispatch(AsyncConsumer):
    """Handlers called straight from the socket's task, without Channels' database-thread hop.

    Channels' own dispatch first closes stale database connections by hopping to its single sync
    thread, before EVERY handler: each frame and each push every socket receives queued behind all
    the others there (the chat load bench, tests/bench/test_chat_load_bench.py, measured it). The
    consumers here reach the database only through database_sync_to_async, which does that clean-up
    in its worker thread around each call, so the hop bought nothing. Mix in before the consumer base.
    """

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class FrameRefused(Exception):
    """A frame the socket will not act on; answered with an error frame, the socket stays open."""

    def __init__(self, code: str, message: str, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id

    def as_frame(self) -> dict[str, Any]:
        frame = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id is not None:
            frame["client_id"] = self.client_id
        return frame


def decode_json_frame(text_data: str | None, *, max_bytes: int) -> Any:
    """A text frame's JSON, checked by the input rule (core.input_rules) before and after parsing:
    size, nesting depth (before: a frame nested thousands deep was a RecursionError, and Channels closed
    the socket with 1011), and control characters in keys and strings. Raises FrameRefused."""
    if not text_data:
        raise FrameRefused("invalid_json", gettext("Send a JSON text frame."))
    if len(text_data) > max_bytes or len(text_data.encode()) > max_bytes:
        raise FrameRefused("too_large", gettext("The frame is too large."))
    if json_too_deep(text_data, settings.JSON_MAX_DEPTH):
        raise FrameRefused("too_deep", gettext("The frame nests deeper than the allowed depth of %(depth)d.")
                           % {"depth": settings.JSON_MAX_DEPTH})
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError) as error:
        raise FrameRefused("invalid_json", gettext("The message is not valid JSON.")) from error
    path = control_character_path(content)
    if path is not None:
        # Name the frame that was refused, so a client can mark that one send failed instead of
        # retrying it for ever; only a client_id that is itself clean is echoed.
        client_id = content.get("client_id") if isinstance(content, dict) else None
        echoed = client_id if isinstance(client_id, str) and not has_control_character(client_id) else None
        raise FrameRefused("invalid_frame", f"{path}: {control_message()}", client_id=echoed)
    return content


class GuardedJsonFrames(AsyncJsonWebsocketConsumer):
    """Channels' JSON consumer, except that a binary, malformed, oversized, over-deep or NUL-bearing frame
    gets an error frame instead of an exception that closes the socket with 1011."""

    max_frame_bytes = 4096

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        try:
            content = decode_json_frame(text_data, max_bytes=self.max_frame_bytes)
        except FrameRefused as refused:
            await self.send_json(refused.as_frame())
            return
        await self.receive_json(content, **kwargs)
