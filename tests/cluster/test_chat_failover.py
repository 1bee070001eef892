"""A customer's socket on Daphne A and the agent's on Daphne B exchange messages while A is killed (SIGKILL):
the customers reconnect through nginx, which sends them to B, resume from the last sequence they hold and
retry unacknowledged sends with the same client_id. Every side ends with the database's transcript: nothing
lost, nothing stored or shown twice. CLUSTER_CHAT_MESSAGES sets the count (make bench-cluster runs 10,000)."""

import asyncio
import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import WebSocketException

from chat.models import ChatMessage
from tests.bench.test_chat_load_bench import (
    RETRY_ACK_TIMEOUT,
    Daphne,
    Side,
    _raise_fd_limit,
    _schedule,
    chat_pairs,  # noqa: F401 (a fixture)
)
from tests.cluster.processes import Endpoint, Nginx, kill, needs_nginx, start_daphnes, stop_all
from tests.realtime.conftest import Login

pytestmark = [pytest.mark.cluster, needs_nginx, pytest.mark.django_db(transaction=True)]

MESSAGES = int(os.environ.get("CLUSTER_CHAT_MESSAGES", "600"))
CONVERSATIONS = int(os.environ.get("CLUSTER_CHAT_CONVERSATIONS", "10"))
RATE = float(os.environ.get("CLUSTER_CHAT_RATE", "100"))  # messages per second, both sides together
SETTLE_TIMEOUT = 60.0


class HoleRepairingSide(Side):
    """The bench's client plus chat/PROTOCOL.md's rule for a gap while connected: a hole below a message or an
    ack still open after about a second is asked for with `resume`. A Daphne killed between commit and
    broadcast leaves exactly such a hole on the sockets of the other process."""

    acked_top: int = 0

    async def on_frame(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "ack":
            self.acked_top = max(self.acked_top, int(frame["seq"]))
        await super().on_frame(frame)

    def hole(self) -> bool:
        return max([*self.seqs, self.acked_top], default=0) > self.upto

    async def repair_holes(self, stop: asyncio.Event) -> None:
        seen_open_at = None
        while not stop.is_set():
            await asyncio.sleep(0.5)
            if not self.hole():
                seen_open_at = None
            elif seen_open_at != self.upto:
                seen_open_at = self.upto  # first seen now: give live frames a second to arrive out of order
            elif self.ws is not None and self.joined.is_set():
                with contextlib.suppress(WebSocketException, OSError):
                    await self.ws.send(json.dumps({"type": "resume", "last_seq": self.upto}))
                seen_open_at = None


async def exchange_while_killing(a: Daphne, b: Daphne, nginx: Endpoint,
                                 pairs: list[tuple[int, Login, Login]]) -> dict[str, Any]:
    sides = [(HoleRepairingSide(cid, customer, "customer", a), HoleRepairingSide(cid, agent, "agent", b))
             for cid, customer, agent in pairs]
    stop = asyncio.Event()
    keepers = [asyncio.create_task(side.stay_connected(stop)) for pair in sides for side in pair]
    keepers += [asyncio.create_task(side.repair_holes(stop)) for pair in sides for side in pair]
    await asyncio.wait_for(asyncio.gather(*(side.joined.wait() for pair in sides for side in pair)), timeout=60)
    for customer, _agent in sides:
        customer.daphne = nginx  # type: ignore[assignment]  # the next connection goes through nginx

    plan = _schedule(MESSAGES, len(sides))
    stored_seq = {pair[0].conversation_id: 0 for pair in sides}
    sent: list[str] = []
    retries = 0
    give_up = time.monotonic() + MESSAGES / RATE + SETTLE_TIMEOUT

    async def send(n: int) -> None:
        nonlocal retries
        index, role = plan[n]
        sender = sides[index][role]
        client_id = f"failover-{n}"
        sent.append(client_id)
        attempts = 0
        while time.monotonic() < give_up:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sender.joined.wait(), timeout=1.0)
            try:
                attempts += sender.joined.is_set()
                seq = await sender.send_once(client_id, RETRY_ACK_TIMEOUT)
                stored_seq[sender.conversation_id] = max(stored_seq[sender.conversation_id], seq)
                retries += max(attempts - 1, 0)
                return
            except (ConnectionError, TimeoutError, WebSocketException):
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{client_id} never acknowledged")

    began = time.perf_counter()
    timeline: dict[str, float] = {}

    async def kill_a() -> None:
        await asyncio.sleep(MESSAGES / RATE / 3)
        timeline["a_killed_s"] = round(time.perf_counter() - began, 2)
        await asyncio.get_running_loop().run_in_executor(None, kill, a)

    killer = asyncio.create_task(kill_a())
    tasks = []
    for n in range(len(plan)):
        await asyncio.sleep(max(0.0, began + n / RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(send(n)))
    await asyncio.gather(*tasks)
    await killer
    timeline["all_acked_s"] = round(time.perf_counter() - began, 2)
    settled = False
    while time.monotonic() < give_up and not settled:
        settled = all(side.upto >= stored_seq[side.conversation_id] for pair in sides for side in pair)
        await asyncio.sleep(0.1)
    timeline["settled_s"] = round(time.perf_counter() - began, 2)
    stop.set()
    await asyncio.gather(*keepers)
    flat = [side for pair in sides for side in pair]
    return {"sides": flat, "sent": sent, "retries": retries, "timeline": timeline, "settled": settled}


def run_failover(pairs: list[tuple[int, Login, Login]], tmp_path: Path) -> dict[str, Any]:
    """Both Daphne and nginx up, the exchange, then the transcripts checked against the database."""
    _raise_fd_limit()
    a, b = start_daphnes(tmp_path, 2)
    nginx = Nginx(tmp_path / "nginx", [a.port, b.port])
    try:
        outcome = asyncio.run(exchange_while_killing(a, b, nginx, pairs))
    finally:
        nginx.stop()
        stop_all([b, a])
    rows = list(ChatMessage.objects.filter(conversation_id__in=[cid for cid, _c, _a in pairs])
                .values_list("conversation_id", "id", "client_id"))
    stored = Counter(client_id for _cid, _id, client_id in rows if client_id)
    transcript: dict[int, set[int]] = {}
    for conversation_id, message_id, _client_id in rows:
        transcript.setdefault(conversation_id, set()).add(message_id)
    sides: list[Side] = outcome["sides"]
    customers = [side for side in sides if side.role == "customer"]
    return {
        "messages": len(outcome["sent"]), "conversations": len(pairs), "rate_per_s": RATE,
        "stored": sum(stored[cid] for cid in outcome["sent"]), "send_retries": outcome["retries"],
        "customer_reconnects": sum(side.connects - 1 for side in customers),
        "filled_from_gap": sum(side.gap_filled for side in sides), "timeline": outcome["timeline"],
        "settled": outcome["settled"],
        "lost": sum(len(transcript[side.conversation_id] - set(side.seen)) for side in sides)
        + sum(1 for cid in outcome["sent"] if stored[cid] == 0),
        # A live frame for a message the gap already gave is dropped by id, as the widget does: counted, not shown.
        "live_frames_deduplicated": sum(side.live_duplicates for side in sides),
        "duplicated": sum(count - 1 for count in stored.values() if count > 1)
        + sum(len(set(side.seen) - transcript[side.conversation_id]) for side in sides),
    }


def test_killing_one_daphne_loses_and_duplicates_nothing(
        chat_pairs: Callable[[int], list[tuple[int, Login, Login]]], tmp_path: Path) -> None:  # noqa: F811
    figures = run_failover(chat_pairs(CONVERSATIONS), tmp_path)
    # One JSON line, shown with -s (make bench-cluster reads it); the assertions below are the test.
    print(json.dumps({"bench": "chat_failover", **figures}))  # noqa: T201
    assert figures["settled"], figures
    assert figures["customer_reconnects"] >= CONVERSATIONS, "every customer was on A and had to move to B"
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures
    assert figures["stored"] == figures["messages"], figures
