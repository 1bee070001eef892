"""`make bench-cluster`: capacity figures of the scale-out layout, as JSON lines.

- cluster_chat_capacity: chat messages/s a layout of 1, 2 and 4 Daphne behind nginx delivers with p99 ≤ 50 ms.
  The rate steps up (CLUSTER_BENCH_RATES) for CLUSTER_BENCH_STEP_S each; the capacity is the last step whose
  delivery p99 (send → the other side's socket) stayed within the goal.
- cluster_sockets: CLUSTER_BENCH_SOCKETS (5,000) sockets held open across 2 Daphne, with each one's RSS.
- cluster_beat_leaders: two beats started, how many lead and how many probes a 1-second schedule sent.
The Daphne-kill, worker-kill and broker-outage fault tests (tests/cluster/) run beside these with bench sizes.
"""

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import WebSocketException

from tests.bench.test_chat_load_bench import (
    LOAD_ACK_TIMEOUT,
    Side,
    _raise_fd_limit,
    chat_pairs,  # noqa: F401 (a fixture)
    percentiles,
)
from tests.cluster.processes import Endpoint, Nginx, needs_nginx, start_daphnes, stop_all
from tests.core.test_beat_leader import Beat, _sent_in, beats  # noqa: F401 (a fixture)
from tests.realtime.conftest import Login

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

RATES = [int(rate) for rate in os.environ.get("CLUSTER_BENCH_RATES", "100,200,400,800").split(",")]
STEP_SECONDS = float(os.environ.get("CLUSTER_BENCH_STEP_S", "5"))
CONVERSATIONS = int(os.environ.get("CLUSTER_BENCH_CONVERSATIONS", "100"))
SOCKETS = int(os.environ.get("CLUSTER_BENCH_SOCKETS", "5000"))
P99_GOAL_MS = 50.0


async def _connect(sides: list[Side], parallel: int = 20) -> list[asyncio.Task[None]]:
    """Open every socket, a few at a time; a handshake Daphne dropped (its 5 s accept timeout on a busy
    machine, a 502 through nginx) is tried again, as the widget's reconnect would."""
    limit = asyncio.Semaphore(parallel)

    async def join(side: Side) -> asyncio.Task[None]:
        for attempt in range(5):
            try:
                async with limit:
                    side.ws = await side.open()
                break
            except (OSError, TimeoutError, WebSocketException):
                if attempt == 4:
                    raise
                await asyncio.sleep(1 + attempt)
        assert side.ws is not None
        return asyncio.create_task(side.read(side.ws))

    readers = await asyncio.gather(*(join(side) for side in sides))
    await asyncio.wait_for(asyncio.gather(*(side.joined.wait() for side in sides)), timeout=300)
    return list(readers)


async def _step(pairs: list[tuple[Side, Side]], rate: int, step: str) -> dict[str, Any]:
    """rate messages/s for STEP_SECONDS, alternating conversations and sides; delivery latency at the receiver."""
    count = int(rate * STEP_SECONDS)
    sent_at: dict[str, tuple[float, Side]] = {}

    async def send(n: int) -> None:
        pair, role = pairs[n % len(pairs)], (n // len(pairs)) % 2
        sender, receiver = pair[role], pair[1 - role]
        client_id = f"cap-{step}-{n}"
        sent_at[client_id] = (time.perf_counter(), receiver)
        await sender.send_once(client_id, LOAD_ACK_TIMEOUT)

    began, tasks = time.perf_counter(), []
    for n in range(count):
        await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(n)))
    failed = sum(isinstance(r, BaseException) for r in await asyncio.gather(*tasks, return_exceptions=True))
    achieved = count / (time.perf_counter() - began)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(cid not in side.arrived for cid, (_, side) in sent_at.items()):
        await asyncio.sleep(0.1)
    delivery = [(side.arrived[cid] - at) * 1000 for cid, (at, side) in sent_at.items() if cid in side.arrived]
    return {"offered_per_s": rate, "achieved_per_s": round(achieved, 1), "failed": failed,
            "lost": count - len(delivery), **percentiles(delivery)}


async def _capacity(nginx: Endpoint, logins: list[tuple[int, Login, Login]], layout: int) -> dict[str, Any]:
    pairs = [(Side(cid, customer, "customer", nginx), Side(cid, agent, "agent", nginx))  # type: ignore[arg-type]
             for cid, customer, agent in logins]
    readers = await _connect([side for pair in pairs for side in pair])
    steps = []
    for index, rate in enumerate(RATES):
        # client_ids unique across layouts too: the conversations are reused, and a repeated client_id is a retry.
        steps.append(await _step(pairs, rate, f"{layout}-{index}"))
        if steps[-1].get("p99_ms", float("inf")) > P99_GOAL_MS or steps[-1]["lost"]:
            break
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(side.ws.close() for pair in pairs for side in pair if side.ws), return_exceptions=True)
    within = [step["achieved_per_s"] for step in steps if step.get("p99_ms", float("inf")) <= P99_GOAL_MS
              and not step["lost"]]
    return {"messages_per_s_at_p99_goal": max(within, default=0.0), "steps": steps}


@needs_nginx
def test_chat_capacity_by_daphne_count(chat_pairs: Callable[[int], list[tuple[int, Login, Login]]],  # noqa: F811
                                       tmp_path: Path, report: Any) -> None:
    _raise_fd_limit()
    logins = chat_pairs(CONVERSATIONS)
    by_count: dict[str, Any] = {}
    for count in (1, 2, 4):
        daphnes = start_daphnes(tmp_path / f"layout-{count}", count, CONN_MAX_AGE="60")
        nginx = Nginx(tmp_path / f"nginx-{count}", [daphne.port for daphne in daphnes])
        try:
            by_count[str(count)] = asyncio.run(_capacity(nginx, logins, count))
        finally:
            nginx.stop()
            stop_all(daphnes)
    one = by_count["1"]["messages_per_s_at_p99_goal"] or 1.0
    report("cluster_chat_capacity", p99_goal_ms=P99_GOAL_MS, conversations=CONVERSATIONS, step_s=STEP_SECONDS,
           cores=os.cpu_count(), load_average_1m=round(os.getloadavg()[0], 1),
           speedup_2_vs_1=round(by_count["2"]["messages_per_s_at_p99_goal"] / one, 2),
           speedup_4_vs_1=round(by_count["4"]["messages_per_s_at_p99_goal"] / one, 2), by_daphne_processes=by_count)


def test_sockets_across_two_daphne(chat_pairs: Callable[[int], list[tuple[int, Login, Login]]],  # noqa: F811
                                   tmp_path: Path, report: Any) -> None:
    _raise_fd_limit()
    logins = chat_pairs(50)
    daphnes = start_daphnes(tmp_path, 2)
    idle = [daphne.memory_mb() for daphne in daphnes]
    try:
        # Several tabs per participant: SOCKETS sockets over 50 conversations, alternating the two processes.
        sides = []
        for n in range(SOCKETS):
            conversation, customer, agent = logins[n % 50]
            as_agent = (n // 50) % 2 == 1
            sides.append(Side(conversation, agent if as_agent else customer, "agent" if as_agent else "customer",
                              daphnes[n % 2]))

        async def hold() -> dict[str, Any]:
            began = time.perf_counter()
            readers = await _connect(sides)
            connected = time.perf_counter() - began
            await asyncio.sleep(2)
            memory = [daphne.memory_mb() for daphne in daphnes]
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*(side.ws.close() for side in sides if side.ws), return_exceptions=True)
            return {"connect_all_s": round(connected, 1), "memory": memory}

        figures = asyncio.run(hold())
    finally:
        stop_all(daphnes)
    per_process = [{"sockets": SOCKETS // 2, **{f"idle_{k}": v for k, v in before.items()}, **after}
                   for before, after in zip(idle, figures["memory"], strict=True)]
    report("cluster_sockets", sockets=SOCKETS, processes=2, connect_all_s=figures["connect_all_s"],
           rss_kb_per_socket=[round((p["daphne_vmrss_mb"] - p["idle_daphne_vmrss_mb"]) * 1024 / p["sockets"], 1)
                              for p in per_process], per_process=per_process)


def test_two_beats_one_leader(beats: list[Beat], report: Any) -> None:  # noqa: F811
    deadline = time.monotonic() + 60
    while not (any(beat.said("beat: leader") for beat in beats) and any(beat.said("stands by") for beat in beats)):
        assert time.monotonic() < deadline, "no leader and standby within 60 s"
        time.sleep(0.2)
    sent = _sent_in(6)
    leaders = sum(beat.said("beat: leader") for beat in beats)
    report("cluster_beat_leaders", beats=len(beats), leaders=leaders, probes_in_6_s_from_a_1_s_schedule=sent)
    assert leaders == 1 and 3 <= sent <= 8
