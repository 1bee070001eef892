"""Issue 20's comparison with the peer, django-helpdesk 2.6.1, measured in one run on one machine (`make bench-peer`).

Both sides get the same data shape at BENCH_SCALE tickets (default 100,000; 1,000,000 supported), bulk-loaded by
SQL: 10 teams / queues, 50 agents, 1,000 customers, 60 % open and half of those assigned, each ticket with its
first message, plus one ticket with 500 messages. The peer runs in its own process (tests/bench/peer/runner.py
under .venv-peer, its own settings and database); this test drives it over a line protocol and runs each
operation in rounds, peer then ours, so load from other work on the machine falls on both alike. One JSON line
per operation: both sides' figures (p50/p95/p99 ms, per second, CPU ms per operation in the Django process and
in the database backend, statements per call) and the ratio (how many times ours is better).
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from psycopg.conninfo import make_conninfo
from rest_framework.test import APIClient

from core.segmentation import index_text
from profiles.models import AgentProfile, Team, User
from profiles.roles import Role
from tests.bench.test_create_detail_bench import consume_flash, counting
from tests.bench.test_tickets_bench import _bulk_load, _setup
from tests.bench.timing import metered, percentiles
from tests.factories import CustomerProfileFactory, UserFactory
from tickets import services
from tickets.models import RoutingRule, TeamSettings, TicketMessage

# Committed, so both sides can be vacuumed after the load: the sizes are of live rows, not of the load's updates.
pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
RUNNER = ROOT / "tests" / "bench" / "peer" / "runner.py"
SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
ROUNDS = 4
# Per create path and side; a fresh integrator each round keeps the API under its 120 writes a minute.
CREATES = int(os.environ.get("PEER_BENCH_CREATES", "100"))
PAGE_RUNS = int(os.environ.get("PEER_BENCH_PAGE_RUNS", "20"))
LONG = 500
BODY = "我的快递三天没有更新物流了，麻烦帮忙查一下。"  # noqa: RUF001
PEER_TABLES = ("helpdesk_ticket", "helpdesk_followup")
OUR_TABLES = ("tickets_ticket", "tickets_ticketmessage", "tickets_ticketsearch")
TABLE_SIZES = """
    SELECT c.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid),
           coalesce(pg_total_relation_size(c.reltoastrelid), 0)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
"""


class Peer:
    """The runner process: one JSON command in, one JSON answer out."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def ask(self, op: str, **arguments: Any) -> Any:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the peer's runner stopped during {op!r} (its error is printed above)")
        return json.loads(answer)


def _peer_database() -> dict[str, Any]:
    """Ours with the suffix _helpdesk (sc_x → sc_x_helpdesk), created on the same server when missing."""
    ours = connection.settings_dict
    name = ours["NAME"].removeprefix("test_") + "_helpdesk"
    server = make_conninfo(dbname="postgres", host=ours["HOST"] or None, port=ours["PORT"] or None,
                           user=ours["USER"] or None, password=ours["PASSWORD"] or None)
    with psycopg.connect(server, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return {"NAME": name, "HOST": ours["HOST"], "PORT": str(ours["PORT"] or ""), "USER": ours["USER"],
            "PASSWORD": ours["PASSWORD"]}


@contextmanager
def _peer() -> Iterator[Peer]:
    env = {**os.environ, "PEER_DATABASE": json.dumps(_peer_database())}
    process = subprocess.Popen([str(PEER_PYTHON), str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=sys.stderr, text=True, env=env)
    try:
        yield Peer(process)
    finally:
        assert process.stdin
        process.stdin.close()
        process.wait(timeout=60)


def _load_ours(teams: list[Team], agents: list[User], customers: list[User], policy: Any) -> None:
    """Our tickets (the tickets bench's load), each with its first message and its search document as
    ticket_create writes them (the same words for every ticket, so jieba cuts them once, here)."""
    _bulk_load(teams, agents, customers, policy)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticketmessage (ticket_id, kind, author_id, from_customer, body, created_at)
            SELECT id, 'reply', customer_id, true, %s, created_at FROM tickets_ticket
            """,
            [BODY],
        )
        cursor.execute(
            """
            INSERT INTO tickets_ticketsearch (ticket_id, head, replies, notes)
            SELECT id, strip(to_tsvector('simple', %s || ' ' || split_part(subject, ' ', 2))),
                   strip(to_tsvector('simple', %s)), ''::tsvector
            FROM tickets_ticket
            """,
            [index_text("订单问题", "客户"), index_text(BODY)],
        )
        cursor.execute("VACUUM ANALYZE tickets_ticket, tickets_ticketmessage, tickets_ticketsearch")


def _our_sizes() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
        cursor.execute(TABLE_SIZES)
        tables = {name: {"heap": heap, "indexes": indexes, "toast": toast}
                  for name, heap, indexes, toast in cursor.fetchall()}
    return {"database_bytes": database, "tables": tables}


def _bytes(sizes: dict[str, Any], names: tuple[str, ...]) -> int:
    return sum(sum(sizes["tables"].get(name, {}).values()) for name in names)


def _figures(batches: list[dict[str, Any]], queries: int) -> dict[str, Any]:
    samples = [ms for batch in batches for ms in batch["samples_ms"]]
    runs = len(samples)
    db_cpu = [batch["db_cpu_s"] for batch in batches]
    return {
        "runs": runs, "per_second": round(runs / sum(batch["wall_s"] for batch in batches), 1),
        **percentiles(samples),
        "cpu_ms_per_op": round(sum(batch["cpu_s"] for batch in batches) / runs * 1000, 2),
        "db_cpu_ms_per_op": round(sum(db_cpu) / runs * 1000, 2) if None not in db_cpu else None,
        "queries": queries,
    }


def _ratio(peer: dict[str, Any], ours: dict[str, Any], create: bool) -> dict[str, Any]:
    """How many times ours is better: throughput for creates, latency for pages; CPU for both."""
    def times(worse: float, better: float) -> float | None:
        return round(worse / better, 1) if better else None

    cpu_peer = peer["cpu_ms_per_op"] + (peer["db_cpu_ms_per_op"] or 0)
    cpu_ours = ours["cpu_ms_per_op"] + (ours["db_cpu_ms_per_op"] or 0)
    speed = ({"throughput": times(ours["per_second"], peer["per_second"])} if create else
             {"p50": times(peer["p50_ms"], ours["p50_ms"]), "p95": times(peer["p95_ms"], ours["p95_ms"])})
    return {**speed, "cpu": times(cpu_peer, cpu_ours)}


def test_peer_side_by_side(report: Any, serving_process: None) -> None:
    # Ours runs as our web process does (asgi.py freezes start-up objects out of the collector); the peer runs as
    # django-helpdesk ships, which does no such thing.
    if not PEER_PYTHON.exists():
        pytest.skip("the peer's virtualenv is missing: `make bench-peer` builds .venv-peer")
    try:
        _compare(report)
    finally:
        # The flush after a transactional test DELETEs row by row; a million tickets go faster this way.
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE tickets_ticket, tickets_ticketmessage, tickets_ticketsearch CASCADE")


def _compare(report: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    teams, agents, customers, policy = _setup()
    _load_ours(teams, agents, customers, policy)
    RoutingRule.objects.create(name="全部", team=teams[0])
    TeamSettings.objects.create(team=teams[0], strategy=TeamSettings.Strategy.ROUND_ROBIN)
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,))
    AgentProfile.objects.create(user=supervisor, capacity=100, presence=AgentProfile.Presence.ONLINE)
    long_ticket = services.ticket_create(customer=customer, subject="长对话", body="开始", team=teams[0])
    TicketMessage.objects.bulk_create(
        TicketMessage(ticket=long_ticket, author=agents[0] if n % 2 else customer, from_customer=not n % 2,
                      kind="note" if n % 25 == 0 else "reply", body=f"第{n}条消息，内容较长" * 5)  # noqa: RUF001
        for n in range(LONG - 1)
    )

    form = Client()
    form.force_login(customer)
    desk = Client()
    desk.force_login(supervisor)
    api = APIClient()

    def create_form(n: int) -> None:
        response = form.post("/help/tickets/new/", {"subject": f"表单工单{n}", "description": BODY})
        assert response.status_code == 302, response.content
        consume_flash(form)

    def create_api(n: int) -> None:
        response = api.post("/api/v1/tickets/", {"subject": f"接口工单{n}", "body": BODY, "customer_id": customer.pk,
                                                 "channel": "api"}, format="json")
        assert response.status_code == 201, response.content

    def page(url: str) -> Callable[[int], None]:
        def get(n: int) -> None:
            response = desk.get(url)
            assert response.status_code == 200
        return get

    ours: dict[str, Callable[[int], None]] = {
        "create_form": create_form, "create_api": create_api, "queue": page("/desk/tickets/"),
        "queue_status": page("/desk/tickets/?status=open"), "detail": page(f"/desk/tickets/{long_ticket.pk}/"),
    }

    with _peer() as peer:
        peer.ask("load", scale=SCALE, body=BODY)
        sizes = {"peer": peer.ask("size"), "ours": _our_sizes()}
        for op, action in ours.items():
            create = op.startswith("create")
            runs = CREATES if create else PAGE_RUNS
            # Two calls each first: one warms caches and templates, the next is counted (statements of a warm call).
            peer_queries = peer.ask("queries", page=op)["queries"]
            if op == "create_api":
                api.force_authenticate(UserFactory.create(roles=(Role.INTEGRATOR,)))
            action(-2)  # warm, as the peer's runner does before it counts
            with counting() as our_queries:
                action(-1)
            batches: dict[str, list[dict[str, Any]]] = {"peer": [], "ours": []}
            per_round = max(runs // ROUNDS, 1)
            for round_number in range(ROUNDS):
                first = round_number * per_round
                batches["peer"].append(peer.ask(op, runs=per_round, first=first))
                if op == "create_api":
                    api.force_authenticate(UserFactory.create(roles=(Role.INTEGRATOR,)))
                batches["ours"].append(metered(per_round, action, backend_pid, first))
            figures = {"peer": _figures(batches["peer"], peer_queries),
                       "ours": _figures(batches["ours"], our_queries.count)}
            report(f"peer_{op}", tickets=SCALE, **figures, ours_better_by=_ratio(figures["peer"], figures["ours"],
                                                                                 create))
        grown = {"peer": peer.ask("size"), "ours": _our_sizes()}

    created = 2 * (CREATES // ROUNDS * ROUNDS + 2)  # both create paths, with the warm and the counted call
    storage: dict[str, Any] = {}
    for side, tables in (("peer", PEER_TABLES), ("ours", OUR_TABLES)):
        storage[side] = {
            "database_mib": round(sizes[side]["database_bytes"] / 2**20, 1),
            "ticket_tables_mib": round(_bytes(sizes[side], tables) / 2**20, 1),
            "bytes_per_loaded_ticket": round(_bytes(sizes[side], tables) / SCALE),
            "bytes_per_created_ticket": round(
                (sum(sum(t.values()) for t in grown[side]["tables"].values())
                 - sum(sum(t.values()) for t in sizes[side]["tables"].values())) / created),
            "largest_tables": dict(sorted(
                ((name, round(sum(t.values()) / 2**20, 1)) for name, t in sizes[side]["tables"].items()),
                key=lambda item: -item[1])[:6]),
        }
    report("peer_storage", tickets=SCALE, created_per_side=created, **storage,
           ours_over_peer={"database": round(sizes["ours"]["database_bytes"] / sizes["peer"]["database_bytes"], 2),
                           "ticket_tables": round(_bytes(sizes["ours"], OUR_TABLES)
                                                  / _bytes(sizes["peer"], PEER_TABLES), 2)})

