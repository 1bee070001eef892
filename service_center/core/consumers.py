"""What every WebSocket consumer of the project shares."""

from typing import Any

from channels.consumer import AsyncConsumer, get_handler_name


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
