"""The peer's side of the peer bench: django-helpdesk 2.6.1 in-process (Django's test Client in the peer's own
settings and database), run with .venv-peer/bin/python by tests/bench/test_peer_bench.py.

It reads one JSON command per line on stdin and answers one JSON line on stdout, so the driver can interleave
the peer's operations with ours (peer, ours, peer, ours) and both meet the same load on a shared machine.
Everything else the peer prints goes to stderr. Commands:
  {"op": "load", "scale": N, "body": "..."}   empty the peer's tables, load N tickets by SQL, a 500-follow-up one
  {"op": "create_form" | "create_api", "runs": R, "first": K}   R tickets through the public form / the API
  {"op": "queue" | "queue_status" | "detail", "runs": R}        pages as a staff member
  {"op": "queries", "page": name}             statements a warm call of a page or create runs
  {"op": "size"}                              pg_database_size and the helpdesk tables' bytes
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[2])]
os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk_settings"  # not ours, which the driver runs under

import django  # noqa: E402

PROTOCOL = sys.stdout
sys.stdout = sys.stderr
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

from tests.bench.timing import metered  # noqa: E402

QUEUES = 10
AGENTS = 50
CUSTOMERS = 1000
LONG = 500

TABLE_SIZES = """
    SELECT c.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid),
           coalesce(pg_total_relation_size(c.reltoastrelid), 0)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
"""


class Peer:
    def __init__(self) -> None:
        self.staff: User | None = None
        self.long_ticket = 0
        self.body = ""
        self.form = Client()
        self.api = Client()
        self.desk = Client()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend_pid = cursor.fetchone()[0]

    def load(self, scale: int, body: str) -> dict[str, Any]:
        """The same shape as ours: 10 queues, 50 agents, 1,000 customers, 60 % open (half of them assigned),
        each ticket with its description and the "Ticket Opened" follow-up the peer's own create path writes."""
        self.body = body
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE helpdesk_followup, helpdesk_ticketchange, helpdesk_ticket, helpdesk_queue, "
                "helpdesk_usersettings, auth_user, django_session RESTART IDENTITY CASCADE"
            )
        queues = Queue.objects.bulk_create(
            Queue(title=f"队列{n}", slug=f"q{n}", allow_public_submission=n == 1) for n in range(1, QUEUES + 1)
        )
        agents = [User.objects.create_user(f"agent{n}", is_staff=True) for n in range(AGENTS)]
        self.staff = User.objects.create_user("supervisor", is_staff=True)
        customer = User.objects.create_user("customer", email="customer@example.com")
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status, on_hold, description,
                                             priority, due_date, assigned_to_id, queue_id, secret_key)
                SELECT '订单问题 ' || i, now() - (i %% 1000) * interval '1 minute', now(),
                       'benchc' || (i %% %(customers)s) || '@example.com',
                       CASE WHEN i %% 10 < 6 THEN (ARRAY[1, 1, 1, 2, 1])[1 + i %% 5]
                            ELSE (ARRAY[3, 4])[1 + i %% 2] END,
                       i %% 10 < 6 AND i %% 5 = 4, %(body)s,
                       (ARRAY[4, 3, 3, 2, 1])[1 + i %% 5],
                       now() + ((i %% 4320) - 720) * interval '1 minute',
                       CASE WHEN i %% 2 = 0 THEN (%(agents)s)[1 + (i / 2) %% cardinality(%(agents)s)] END,
                       (%(queues)s)[1 + i %% cardinality(%(queues)s)], gen_random_uuid()::text
                FROM generate_series(1, %(scale)s) AS i
                """,
                {"customers": CUSTOMERS, "body": body, "agents": [a.pk for a in agents],
                 "queues": [q.pk for q in queues], "scale": scale},
            )
            cursor.execute(
                """
                INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public)
                SELECT id, created, 'Ticket Opened', description, true FROM helpdesk_ticket
                """
            )
        long_ticket = Ticket.objects.create(title="长对话", queue=queues[0], submitter_email="customer@example.com",
                                            description="开始")
        FollowUp.objects.bulk_create(
            FollowUp(ticket=long_ticket, user=agents[0] if n % 2 else None, public=n % 25 != 0,
                     title="Comment", comment=f"第{n}条消息，内容较长" * 5)  # noqa: RUF001
            for n in range(LONG)
        )
        self.long_ticket = long_ticket.pk
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE helpdesk_ticket, helpdesk_followup")
        self.form.force_login(customer)
        self.api.force_login(self.staff)
        self.desk.force_login(self.staff)
        return {"tickets": Ticket.objects.count()}

    def create_form(self, n: int) -> None:
        response = self.form.post("/tickets/submit/", {"title": f"表单工单{n}", "body": self.body,
                                                       "submitter_email": "customer@example.com"})
        assert response.status_code == 302, response.content[:2000]

    def create_api(self, n: int) -> None:
        response = self.api.post("/api/tickets/", {"queue": 1, "title": f"接口工单{n}", "description": self.body,
                                                   "submitter_email": "customer@example.com", "priority": 3})
        assert response.status_code == 201, response.content[:2000]

    def _queue(self, query: str) -> None:
        """The queue as a browser sees it: the page, then the data its table asks for (first 25 rows)."""
        page = self.desk.get(f"/tickets/{query}")
        assert page.status_code == 200
        data = self.desk.get(f"/datatables_ticket_list/{page.context['urlsafe_query']}",
                             {"draw": 1, "start": 0, "length": 25})
        assert data.status_code == 200 and len(data.json()["data"]) == 25, data.content[:2000]

    def queue(self, n: int) -> None:
        self._queue("")

    def queue_status(self, n: int) -> None:
        self._queue("?status=1")

    def detail(self, n: int) -> None:
        response = self.desk.get(f"/tickets/{self.long_ticket}/")
        assert response.status_code == 200

    def queries(self, page: str) -> int:
        count = 0

        def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        getattr(self, page)(10**6 + 1)  # warm: a running site's caches hold what a first call loads
        with connection.execute_wrapper(counter):
            getattr(self, page)(10**6)
        return count

    def size(self) -> dict[str, Any]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            database = cursor.fetchone()[0]
            cursor.execute(TABLE_SIZES)
            tables = {name: {"heap": heap, "indexes": indexes, "toast": toast}
                      for name, heap, indexes, toast in cursor.fetchall()}
        return {"database_bytes": database, "tables": tables}


def main() -> None:
    setup_test_environment()  # the test Client's response.context
    call_command("migrate", verbosity=0)
    peer = Peer()
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "load":
            answer: Any = peer.load(command["scale"], command["body"])
        elif op == "queries":
            answer = {"queries": peer.queries(command["page"])}
        elif op == "size":
            answer = peer.size()
        else:
            answer = metered(command["runs"], getattr(peer, op), peer.backend_pid, command.get("first", 0))
        PROTOCOL.write(json.dumps(answer) + "\n")
        PROTOCOL.flush()


if __name__ == "__main__":
    main()
