"""Chat under load against one Daphne process over loopback, and through a Redis and a Daphne restart.

Run 1: CHAT_LOAD_CONVERSATIONS (500) conversations, a customer and an agent socket each (1,000 clients in
this one asyncio process), 100 messages/s in total for CHAT_LOAD_SECONDS (20), both sides sending. Prints
delivery latency measured at the receiving socket, messages lost (acked but never delivered) and Daphne's RSS.

Run 2: CHAT_RESTART_CONVERSATIONS (100) conversations on a Redis of this test's own; a third of the way in
Redis is killed and started again, two thirds of the way in Daphne is stopped and started again on the same
listening socket. Clients reconnect with back-off, resume from the last sequence they hold without a gap and
retry unacknowledged sends with the same client_id; at the end each side's transcript must equal the
database's: nothing lost, nothing stored twice.
"""

import asyncio
import contextlib
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Origin

from chat.models import ChatMessage
from core.database import database_url
from profiles.models import User
from profiles.roles import Role
from tests.chat.factories import chat_with_agent
from tests.factories import AgentProfileFactory, CustomerProfileFactory
from tests.realtime.conftest import Login
from tests.realtime.test_presence_live import _wait_until_serving
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

SECONDS = float(os.environ.get("CHAT_LOAD_SECONDS", "20"))
LOAD_CONVERSATIONS = int(os.environ.get("CHAT_LOAD_CONVERSATIONS", "500"))
RESTART_CONVERSATIONS = int(os.environ.get("CHAT_RESTART_CONVERSATIONS", "100"))
MESSAGES_PER_SECOND = 100
LOAD_ACK_TIMEOUT = 120.0  # run 1 measures, it does not time out: a late ack is a figure, not a failure
RETRY_ACK_TIMEOUT = 5.0  # run 2: an ack this late is taken as lost with its socket, and the send is retried
SETTLE_TIMEOUT = 90.0
RECONNECT_BACKOFF = (0.5, 5.0)  # shorter than the widget's 1 s → 30 s, so the run stays bounded


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {}
    rank = lambda share: ordered[max(int(len(ordered) * share) - 1, 0)]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(rank(0.95), 2),
            "p99_ms": round(rank(0.99), 2), "max_ms": round(ordered[-1], 2)}


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Daphne:
    """`daphne service_center.asgi:application` on a listening socket this test holds for the whole run, so a
    restarted Daphne serves the same port and clients connecting in between wait in the backlog."""

    def __init__(self, directory: Path, **env: str) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
        self.port = self.listener.getsockname()[1]
        # Persistent connections (CONN_MAX_AGE), as production runs (.env.example).
        self.env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]),
                    "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0", "CONN_MAX_AGE": "60", **env}
        self.log = directory / "daphne.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            fd = self.listener.fileno()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daphne", "--fd", str(fd), "service_center.asgi:application"],
                cwd=settings.BASE_DIR, env=self.env, pass_fds=[fd], stdout=log, stderr=log,
            )
        _wait_until_serving(self.proc, self.port, self.log)

    def stop(self) -> float:
        """Stop gracefully (SIGKILL after 30 s); returns the seconds the stop took."""
        if self.proc is None:
            return 0.0
        started = time.perf_counter()
        self.proc.terminate()  # graceful: open sockets are closed and their disconnects run
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        return round(time.perf_counter() - started, 2)

    def cpu_seconds(self) -> float:
        """User + system CPU time Daphne has used so far, all its threads included."""
        assert self.proc is not None
        return _cpu_seconds(Path(f"/proc/{self.proc.pid}/stat"))

    def memory_mb(self) -> dict[str, float]:
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {f"daphne_{key.lower()}_mb": round(int(fields[key].split()[0]) / 1024, 1) for key in ("VmRSS", "VmHWM")}


def _cpu_seconds(stat: Path) -> float:
    # Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the parenthesised command name.
    after_name = stat.read_text().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def chat_pairs(settings: Any) -> Callable[[int], list[tuple[int, Login, Login]]]:
    """`n` conversations, each taken by its own agent, with real sessions for both sides."""
    # Setup broadcasts nothing anyone listens to; an in-memory layer keeps it off Redis.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    def login(user: User) -> Login:
        client = Client()
        client.force_login(user)
        return Login(user=user, session_cookie=client.cookies[settings.SESSION_COOKIE_NAME].value)

    def make(count: int) -> list[tuple[int, Login, Login]]:
        pairs = []
        for _ in range(count):
            customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
            agent = AgentProfileFactory.create(user__roles=(Role.AGENT,)).user
            pairs.append((chat_with_agent(customer, agent).pk, login(customer), login(agent)))
        return pairs

    return make


@dataclass
class Side:
    """One socket of a conversation and everything it has seen, merged by message id as the widget does."""

    conversation_id: int
    login: Login
    role: str
    daphne: Daphne
    ws: ClientConnection | None = None
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    seen: dict[int, int] = field(default_factory=dict)  # message id → seq
    seqs: set[int] = field(default_factory=set)
    upto: int = 0  # every seq up to this one is held
    arrived: dict[str, float] = field(default_factory=dict)  # the other side's client_id → first live delivery
    acks: dict[str, asyncio.Future[int]] = field(default_factory=dict)
    live_duplicates: int = 0
    gap_filled: int = 0
    connects: int = 0

    def open(self) -> Any:
        return connect(f"ws://127.0.0.1:{self.daphne.port}/ws/chat/{self.conversation_id}/",
                       origin=Origin(self.daphne.origin), additional_headers={"Cookie": self.login.cookie_header},
                       max_queue=None, open_timeout=20, close_timeout=5)

    def _merge(self, message: dict[str, Any]) -> bool:
        if message["id"] in self.seen:
            return False
        self.seen[message["id"]] = message["seq"]
        self.seqs.add(message["seq"])
        while self.upto + 1 in self.seqs:
            self.upto += 1
        return True

    async def on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "history":
            for message in frame["messages"]:
                self._merge(message)
            self.joined.set()
        elif kind == "gap":
            self.gap_filled += sum(self._merge(message) for message in frame["messages"])
            if frame["has_more"] and self.ws is not None:
                await self.ws.send(json.dumps({"type": "resume", "last_seq": self.upto}))
        elif kind == "message":
            message = frame["message"]
            if not self._merge(message):
                self.live_duplicates += 1
            elif message["sender"] != self.role and message["client_id"]:
                self.arrived.setdefault(message["client_id"], time.perf_counter())
        elif kind == "ack":
            future = self.acks.get(frame["client_id"])
            if future is not None and not future.done():
                future.set_result(frame["seq"])
        elif kind == "error" and frame.get("client_id") in self.acks:
            future = self.acks[frame["client_id"]]
            if not future.done():
                future.set_exception(AssertionError(f"send refused: {frame}"))

    async def read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            await self.on_frame(json.loads(raw))

    async def send_once(self, client_id: str, timeout: float) -> int:
        """Send and wait for the ack; raises if the socket is gone or the ack does not come."""
        if self.ws is None or not self.joined.is_set():
            raise ConnectionError("not connected")
        future = self.acks[client_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": "send", "client_id": client_id, "body": f"压测 {client_id} 😀"}))
        return await asyncio.wait_for(future, timeout=timeout)

    async def stay_connected(self, stop: asyncio.Event) -> None:
        """Reconnect with jittered back-off; each new socket asks for what it missed since `upto`."""
        backoff = RECONNECT_BACKOFF[0]
        while not stop.is_set():
            try:
                async with self.open() as ws:
                    self.ws, self.connects = ws, self.connects + 1
                    await ws.send(json.dumps({"type": "resume", "last_seq": self.upto}))
                    backoff = RECONNECT_BACKOFF[0]
                    reader = asyncio.create_task(self.read(ws))
                    stopping = asyncio.create_task(stop.wait())
                    await asyncio.wait({reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    if not reader.done():
                        reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError, WebSocketException, OSError):
                        await reader
            except (OSError, TimeoutError, WebSocketException):
                pass
            finally:
                self.ws = None
                self.joined.clear()
            if not stop.is_set():
                await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
                backoff = min(backoff * 2, RECONNECT_BACKOFF[1])


def _sides(daphne: Daphne, pairs: list[tuple[int, Login, Login]]) -> list[tuple[Side, Side]]:
    return [(Side(cid, customer, "customer", daphne), Side(cid, agent, "agent", daphne))
            for cid, customer, agent in pairs]


def _schedule(count: int, conversations: int) -> list[tuple[int, int]]:
    """(conversation index, 0 customer / 1 agent) for each message, spread evenly and shuffled."""
    plan = [(n % conversations, (n // conversations) % 2) for n in range(count)]
    random.Random(5).shuffle(plan)
    return plan


async def _paced(count: int, action: Callable[[int], Any]) -> list[asyncio.Task[Any]]:
    """Start action(n) at MESSAGES_PER_SECOND, without waiting for one to finish before the next."""
    started, tasks = time.perf_counter(), []
    for n in range(count):
        await asyncio.sleep(max(0.0, started + n / MESSAGES_PER_SECOND - time.perf_counter()))
        tasks.append(asyncio.create_task(action(n)))
    return tasks


async def load_run(daphne: Daphne, pairs: list[tuple[int, Login, Login]]) -> dict[str, Any]:
    sides = _sides(daphne, pairs)
    limit = asyncio.Semaphore(50)

    async def join(side: Side) -> asyncio.Task[None]:
        async with limit:
            side.ws = await side.open()
        return asyncio.create_task(side.read(side.ws))

    started = time.perf_counter()
    readers = await asyncio.gather(*(join(side) for pair in sides for side in pair))
    await asyncio.wait_for(asyncio.gather(*(side.joined.wait() for pair in sides for side in pair)), timeout=120)
    connect_seconds = time.perf_counter() - started
    memory_idle = daphne.memory_mb()

    plan = _schedule(int(MESSAGES_PER_SECOND * SECONDS), len(sides))
    sent_at: dict[str, tuple[float, Side]] = {}
    ack_ms: list[float] = []

    async def send(n: int) -> None:
        index, role = plan[n]
        sender, receiver = sides[index][role], sides[index][1 - role]
        client_id = f"load-{n}"
        sent_at[client_id] = (time.perf_counter(), receiver)
        await sender.send_once(client_id, LOAD_ACK_TIMEOUT)
        ack_ms.append((time.perf_counter() - sent_at[client_id][0]) * 1000)

    sending = time.perf_counter()
    daphne_cpu, client_cpu = daphne.cpu_seconds(), time.process_time()
    results = await asyncio.gather(*await _paced(len(plan), send), return_exceptions=True)
    send_seconds = time.perf_counter() - sending
    failed = [r for r in results if isinstance(r, BaseException)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(cid not in side.arrived for cid, (_, side) in sent_at.items()):
        await asyncio.sleep(0.1)
    # CPU per message is the figure a shared, noisy machine does not blur: latency depends on the neighbours.
    daphne_cpu, client_cpu = daphne.cpu_seconds() - daphne_cpu, time.process_time() - client_cpu
    busy_seconds = time.perf_counter() - sending
    memory = daphne.memory_mb()
    for task in readers:
        task.cancel()
    await asyncio.gather(*(side.ws.close() for pair in sides for side in pair if side.ws), return_exceptions=True)

    delivery_ms = [(side.arrived[cid] - at) * 1000 for cid, (at, side) in sent_at.items() if cid in side.arrived]
    return {
        "clients": 2 * len(sides), "conversations": len(sides), "seconds": SECONDS,
        "connect_all_s": round(connect_seconds, 1), "sent": len(sent_at), "acked": len(ack_ms),
        "send_failed": len(failed), "achieved_messages_per_s": round(len(sent_at) / send_seconds, 1),
        "daphne_cpu_ms_per_message": round(daphne_cpu * 1000 / len(sent_at), 2),
        "daphne_cpu_share_of_core": round(daphne_cpu / busy_seconds, 2),
        "client_cpu_ms_per_message": round(client_cpu * 1000 / len(sent_at), 2),
        "delivery": percentiles(delivery_ms), "ack": percentiles(ack_ms),
        "lost": len(sent_at) - len(delivery_ms),
        "duplicated": sum(side.live_duplicates for pair in sides for side in pair),
        **{f"idle_{key}": value for key, value in memory_idle.items()}, **memory,
    }


def test_chat_load_1000_sockets(
    chat_pairs: Callable[[int], list[tuple[int, Login, Login]]], tmp_path: Path, report: Any
) -> None:
    _raise_fd_limit()
    started = time.perf_counter()
    pairs = chat_pairs(LOAD_CONVERSATIONS)
    setup_seconds = round(time.perf_counter() - started, 1)
    daphne = Daphne(tmp_path)
    try:
        daphne.start()
        figures = asyncio.run(load_run(daphne, pairs))
    finally:
        daphne.stop()
        daphne.listener.close()

    report("chat_load", setup_s=setup_seconds, p99_goal_ms=50, **figures)
    assert figures["send_failed"] == 0 and figures["acked"] == figures["sent"]
    assert figures["lost"] == 0 and figures["duplicated"] == 0


@dataclass
class RestartOutcome:
    sides: list[tuple[Side, Side]]
    sent: dict[str, Side]
    retries: int
    timeline: dict[str, float]
    settled: bool


async def restart_run(daphne: Daphne, redis: RedisServer, pairs: list[tuple[int, Login, Login]]) -> RestartOutcome:
    sides = _sides(daphne, pairs)
    stop = asyncio.Event()
    keepers = [asyncio.create_task(side.stay_connected(stop)) for pair in sides for side in pair]
    await asyncio.wait_for(asyncio.gather(*(side.joined.wait() for pair in sides for side in pair)), timeout=120)

    plan = _schedule(int(MESSAGES_PER_SECOND * SECONDS), len(sides))
    sent: dict[str, Side] = {}
    last_seq = {pair[0].conversation_id: 0 for pair in sides}
    retries = 0
    give_up = time.monotonic() + SECONDS + SETTLE_TIMEOUT

    async def send(n: int) -> None:
        nonlocal retries
        index, role = plan[n]
        sender = sides[index][role]
        client_id = f"restart-{n}"
        sent[client_id] = sender
        attempts = 0
        while time.monotonic() < give_up:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sender.joined.wait(), timeout=1.0)
            try:
                attempts += sender.joined.is_set()
                seq = await sender.send_once(client_id, RETRY_ACK_TIMEOUT)
                last_seq[sender.conversation_id] = max(last_seq[sender.conversation_id], seq)
                retries += attempts - 1  # same client_id each time: a repeat is answered with the first ack
                return
            except (ConnectionError, TimeoutError, WebSocketException):
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{client_id} never acknowledged")

    loop, began = asyncio.get_running_loop(), time.perf_counter()
    timeline: dict[str, float] = {}

    def mark(event: str) -> None:
        timeline[event] = round(time.perf_counter() - began, 2)

    async def disrupt() -> None:
        await asyncio.sleep(SECONDS / 3)
        mark("redis_killed")
        await loop.run_in_executor(None, redis.kill)
        await asyncio.sleep(1.0)
        await loop.run_in_executor(None, redis.start)
        mark("redis_back")
        await asyncio.sleep(SECONDS / 3 - 1.0)
        mark("daphne_stopping")
        # A graceful stop that takes long means a disconnect waited on a dead Redis connection.
        timeline["daphne_stop_took"] = await loop.run_in_executor(None, daphne.stop)
        mark("daphne_stopped")
        await loop.run_in_executor(None, daphne.start)
        mark("daphne_back")

    disruption = asyncio.create_task(disrupt())
    await asyncio.gather(*await _paced(len(plan), send))
    await disruption
    mark("all_acked")

    # Settled: every side holds its conversation's messages up to the last acknowledged one, without a gap.
    settled = False
    while time.monotonic() < give_up and not settled:
        settled = all(side.upto >= last_seq[side.conversation_id] for pair in sides for side in pair)
        await asyncio.sleep(0.2)
    mark("settled")
    stop.set()
    await asyncio.gather(*keepers)
    return RestartOutcome(sides=sides, sent=sent, retries=retries, timeline=timeline, settled=settled)


def test_chat_survives_redis_and_daphne_restarts(
    chat_pairs: Callable[[int], list[tuple[int, Login, Login]]], tmp_path: Path, report: Any
) -> None:
    _raise_fd_limit()
    pairs = chat_pairs(RESTART_CONVERSATIONS)
    redis = RedisServer(tmp_path)
    redis.start()
    daphne = Daphne(tmp_path, REDIS_URL=redis.url)
    try:
        daphne.start()
        outcome = asyncio.run(restart_run(daphne, redis, pairs))
    finally:
        daphne.stop()
        daphne.listener.close()
        redis.kill()

    rows = list(ChatMessage.objects.filter(conversation_id__in=[cid for cid, _c, _a in pairs])
                .values_list("conversation_id", "id", "client_id"))
    stored = Counter(client_id for _cid, _id, client_id in rows if client_id)
    transcript: dict[int, set[int]] = {}
    for conversation_id, message_id, _client_id in rows:
        transcript.setdefault(conversation_id, set()).add(message_id)
    sides = [side for pair in outcome.sides for side in pair]
    missing = sum(len(transcript[side.conversation_id] - set(side.seen)) for side in sides)
    unknown = sum(len(set(side.seen) - transcript[side.conversation_id]) for side in sides)
    figures = {
        "clients": len(sides), "conversations": len(pairs), "seconds": SECONDS,
        "smaller_than_run_1": f"{len(sides)} clients instead of {2 * LOAD_CONVERSATIONS}",
        "sent": len(outcome.sent), "stored": sum(stored[cid] for cid in outcome.sent),
        "send_retries": outcome.retries, "reconnects": sum(side.connects - 1 for side in sides),
        "filled_from_gap": sum(side.gap_filled for side in sides),
        "live_duplicate_frames": sum(side.live_duplicates for side in sides),
        "timeline_s": outcome.timeline, "settled": outcome.settled,
        "lost": missing + sum(1 for cid in outcome.sent if stored[cid] == 0),
        "duplicated": sum(count - 1 for count in stored.values() if count > 1) + unknown,
    }
    report("chat_restart", **figures)
    assert outcome.settled
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["stored"] == figures["sent"]
