"""core.consumers.DirectDispatch: handlers run without Channels' database-thread hop."""

from typing import Any

import channels.consumer
import pytest

from core.consumers import DirectDispatch

pytestmark = pytest.mark.asyncio


class Greeter(DirectDispatch):
    def __init__(self) -> None:
        super().__init__()
        self.greeted: list[dict[str, Any]] = []

    async def chat_greet(self, message: dict[str, Any]) -> None:
        self.greeted.append(message)


@pytest.fixture
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    hops: list[None] = []

    async def close_old_connections() -> None:
        hops.append(None)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", close_old_connections)
    return hops


async def test_the_handler_runs_without_a_hop_to_the_database_thread(thread_hops: list[None]) -> None:
    consumer = Greeter()
    await consumer.dispatch({"type": "chat.greet", "name": "客服"})
    assert consumer.greeted == [{"type": "chat.greet", "name": "客服"}]
    assert thread_hops == []


async def test_channels_own_dispatch_would_hop(thread_hops: list[None]) -> None:
    # The baseline the mixin removes: if Channels stops hopping, this mixin can go.
    consumer = Greeter()
    await channels.consumer.AsyncConsumer.dispatch(consumer, {"type": "chat.greet"})
    assert thread_hops == [None]


async def test_a_message_without_a_handler_is_refused(thread_hops: list[None]) -> None:
    with pytest.raises(ValueError, match=r"chat\.unknown"):
        await Greeter().dispatch({"type": "chat.unknown"})
