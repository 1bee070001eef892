"""Chat over real sockets against one Daphne process: send→ack and send→delivery latency, and
messages per second with many conversations sending at once. Prints one JSON line."""

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.chat.factories import chat_with_agent
from tests.realtime.conftest import Login, login_as  # noqa: F401  (the fixture)
from tests.realtime.test_presence_live import LiveServer, live_daphne  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

CONVERSATIONS = 20
SEQUENTIAL_SENDS = 200
BURST_PER_CONVERSATION = 50


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
    }


class Pair:
    """The customer's and the agent's sockets of one conversation, with what each has seen."""

    def __init__(self, customer: ClientConnection, agent: ClientConnection) -> None:
        self.customer, self.agent = customer, agent
        self.sent_at: dict[str, float] = {}
        self.acks: dict[str, asyncio.Future[float]] = {}
        self.delivered: dict[str, float] = {}
        self.delivered_ids: list[int] = []

    async def read_customer(self) -> None:
        async for raw in self.customer:
            frame = json.loads(raw)
            if frame["type"] == "ack" and frame["client_id"] in self.acks:
                self.acks[frame["client_id"]].set_result(time.perf_counter())

    async def read_agent(self) -> None:
        async for raw in self.agent:
            frame = json.loads(raw)
            if frame["type"] == "message" and frame["message"]["sender"] == "customer":
                self.delivered[frame["message"]["client_id"]] = time.perf_counter()
                self.delivered_ids.append(frame["message"]["id"])

    async def send(self, client_id: str) -> float:
        self.acks[client_id] = asyncio.get_running_loop().create_future()
        self.sent_at[client_id] = time.perf_counter()
        await self.customer.send(json.dumps({"type": "send", "client_id": client_id, "body": f"压测消息 {client_id}"}))
        acked = await asyncio.wait_for(self.acks[client_id], timeout=30)
        return (acked - self.sent_at[client_id]) * 1000


async def run(server: LiveServer, logins: list[tuple[int, Login, Login]]) -> dict[str, Any]:
    def open_(conversation_id: int, login: Login) -> Any:
        return connect(f"ws://127.0.0.1:{server.port}/ws/chat/{conversation_id}/", origin=server.origin,  # type: ignore[arg-type]
                       additional_headers={"Cookie": login.cookie_header}, max_queue=None)

    pairs = []
    for conversation_id, customer, agent in logins:
        pair = Pair(await open_(conversation_id, customer), await open_(conversation_id, agent))
        pairs.append(pair)
    readers = [asyncio.create_task(reader) for pair in pairs for reader in (pair.read_customer(), pair.read_agent())]
    await asyncio.sleep(0.5)  # the join frames

    ack_ms = [await pairs[n % len(pairs)].send(f"s{n}") for n in range(SEQUENTIAL_SENDS)]

    started = time.perf_counter()

    async def burst(index: int, pair: Pair) -> list[float]:
        return [await pair.send(f"b{index}-{n}") for n in range(BURST_PER_CONVERSATION)]

    burst_ack_ms = [ms for result in await asyncio.gather(*(burst(i, p) for i, p in enumerate(pairs))) for ms in result]
    elapsed = time.perf_counter() - started
    await asyncio.sleep(1.0)  # the last deliveries
    for task in readers:
        task.cancel()
    for pair in pairs:
        await pair.customer.close()
        await pair.agent.close()

    delivery_ms = [(pair.delivered[cid] - pair.sent_at[cid]) * 1000 for pair in pairs for cid in pair.sent_at
                   if cid in pair.delivered]
    sent = sum(len(pair.sent_at) for pair in pairs)
    return {
        "conversations": len(pairs),
        "messages": sent,
        "ack_ms": percentiles(ack_ms),
        "burst_ack_ms": percentiles(burst_ack_ms),
        "delivery_ms": percentiles(delivery_ms),
        "burst_messages_per_s": round(len(burst_ack_ms) / elapsed, 1),
        "lost": sent - sum(len(set(pair.delivered)) for pair in pairs),
        "duplicated": sum(len(pair.delivered_ids) - len(set(pair.delivered_ids)) for pair in pairs),
    }


@pytest.fixture
def persistent_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    # As production runs it (.env.example): without it every socket frame opens a new database connection.
    monkeypatch.setenv("CONN_MAX_AGE", "60")


def test_chat_socket_latency_and_throughput(
    persistent_connections: None, live_daphne: LiveServer, login_as: Callable[[str], Login], report: Any  # noqa: F811
) -> None:
    logins = []
    for _ in range(CONVERSATIONS):
        customer, agent = login_as("customer"), login_as("agent")
        logins.append((chat_with_agent(customer.user, agent.user).pk, customer, agent))

    figures = asyncio.run(run(live_daphne, logins))

    report("chat_socket", **figures)
    assert figures["lost"] == 0 and figures["duplicated"] == 0
