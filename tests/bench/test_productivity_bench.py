"""Issue 23's figures for the agent-productivity tools (macro apply has its own, test_macro_bench.py):

- a bulk action (add a tag) on BENCH_BULK tickets (default 10,000), run as the worker runs it: tickets/s,
  and the desk queue's p50/p95 measured from another connection before and while the job runs;
- the automation sweep with BENCH_SCALE open tickets (default 100,000; 1,000,000 supported) of which 1,000
  match a rule (pending for more than 48 hours): the candidate query alone (ms, plan) and the whole sweep
  applying a one-step macro to the 1,000 (ms, this process's CPU ms, queries, queries per ticket); the sweep
  changes them set-based (services.batch), so its queries are a constant per 500 tickets.

CPU time is reported beside wall time because the machine is shared: the wall time includes waiting.

Rows are bulk-loaded with generate_series, committed (the queue is read from a second connection while
the job runs), so these tests are transactional.
"""

import gc
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.gc_tuning import tune_after_startup
from core.segmentation import warm_up
from profiles.models import Team, User
from profiles.roles import Role
from tests.bench.test_tickets_bench import _plan, _setup
from tests.bench.timing import percentiles, timed
from tests.factories import UserFactory
from tickets import selectors
from tickets.models import Automation, BulkJob, Macro, MacroAction, SlaPolicy, Ticket
from tickets.selectors import QueueView
from tickets.services import automations, bulk

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
# 10,000 is the figure; on a loaded shared machine it runs for half an hour, so BENCH_BULK can shrink it.
BULK_TICKETS = int(os.environ.get("BENCH_BULK", "10000"))
MATCHING = 1_000


@contextmanager
def counted() -> Iterator[list[int]]:
    """How many statements this connection ran in the block (CaptureQueriesContext keeps only the last 9,000)."""
    count = [0]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def _load(count: int, teams: list[Team], customers: list[User], policy: SlaPolicy, *, status: str,
          paused_hours: int | None = None) -> None:
    """`count` tickets in `status`, spread over the teams and customers; paused `paused_hours` ago if given. Each
    has its search row, as every ticket the services create does (a tag change appends to it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH loaded AS (INSERT INTO tickets_ticket (
                number, customer_id, channel, source, type, priority, status, tags, region, team_id,
                order_number, subject, sla_policy_id, due_at, sla_paused_at, sla_paused_seconds, nudge_count,
                escalation_level, created_at, updated_at)
            SELECT
                %(prefix)s || lpad(i::text, 10, '0'),
                (%(customers)s)[1 + i %% cardinality(%(customers)s)],
                (ARRAY['web','chat','email','phone','wechat','app'])[1 + i %% 6], 'bench', 'inquiry',
                (ARRAY['low','normal','normal','high','urgent'])[1 + i %% 5], %(status)s,
                ARRAY[]::varchar[], '', (%(teams)s)[1 + i %% cardinality(%(teams)s)], '', '订单问题 ' || i,
                %(policy)s, now() + (i %% 4320) * interval '1 minute',
                CASE WHEN %(paused)s::int IS NULL THEN NULL ELSE now() - %(paused)s::int * interval '1 hour' END,
                0, 0, 0, now() - (i %% 1000) * interval '1 minute', now()
            FROM generate_series(1, %(count)s) AS i
            RETURNING id, number, subject)
            INSERT INTO tickets_ticketsearch (ticket_id, head, replies, notes)
            SELECT id, strip(to_tsvector('simple', subject)), '', '' FROM loaded
            """,
            {"prefix": f"{status[:1].upper()}{paused_hours or 0}-", "customers": [c.pk for c in customers],
             "teams": [t.pk for t in teams], "policy": policy.pk, "status": status, "paused": paused_hours,
             "count": count},
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticketsearch")


@pytest.fixture
def as_a_worker_after_start_up() -> Iterator[Callable[[], None]]:
    """What a Celery worker does as it starts (service_center/celery.py): jieba's dictionary loaded, start-up
    objects frozen out of the collector's way, the serving thresholds set. Without it a full collection walking
    the test process's ~265,000 objects landed in some sweeps and not others (+0.15-0.3 s)."""
    thresholds = gc.get_threshold()

    def start() -> None:
        warm_up()
        tune_after_startup()

    yield start
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_bulk_action(report: Any) -> None:
    teams, agents, customers, policy = _setup()
    _load(BULK_TICKETS, teams, customers, policy, status="open")
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,))
    agent, now = agents[0], timezone.now()
    desk = QueueView.TEAM
    idle = timed(30, lambda: selectors.queue(agent, desk, now=now))
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    job = bulk.bulk_job_create(actor=supervisor, action=BulkJob.Action.TAG, params={"tag": "批量"}, ticket_ids=ids)
    finished: dict[str, float] = {}

    def work() -> None:  # the `bulk` worker's part, on its own connection
        try:
            started, cpu = time.perf_counter(), time.thread_time()
            bulk.bulk_job_run(job_id=job.pk)
            finished["seconds"] = time.perf_counter() - started
            finished["cpu_seconds"] = time.thread_time() - cpu
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    during: list[float] = []
    while worker.is_alive():
        during.extend(timed(1, lambda: selectors.queue(agent, desk, now=now)))
        time.sleep(0.05)
    worker.join()
    job.refresh_from_db()
    assert job.succeeded == BULK_TICKETS, job.failures[:3]
    report("bulk_tag", tickets=BULK_TICKETS, seconds=round(finished["seconds"], 1),
           worker_cpu_seconds=round(finished["cpu_seconds"], 1),
           tickets_per_second=round(BULK_TICKETS / finished["seconds"], 1), failures=len(job.failures),
           desk_queue_view=str(desk), desk_queue_idle=percentiles(idle),
           desk_queue_during_job={"samples": len(during), **percentiles(during)})


def test_automation_sweep(report: Any, as_a_worker_after_start_up: Callable[[], None]) -> None:
    teams, _agents, customers, policy = _setup()
    # SCALE open tickets: MATCHING pending for 72 hours (the rule's 48 are past), the rest open or pending
    # for an hour, so the status and anchor conditions both have work to do.
    _load(SCALE - MATCHING * 2, teams, customers, policy, status="open")
    _load(MATCHING, teams, customers, policy, status="pending", paused_hours=1)
    _load(MATCHING, teams, customers, policy, status="pending", paused_hours=72)
    macro = Macro.objects.create(title="bench: tag")
    MacroAction.objects.create(macro=macro, kind=MacroAction.Kind.ADD_TAGS, tags=["提醒过"])
    rule = Automation.objects.create(name="bench: pending 48 h", statuses=["pending"], anchor="sla_paused_at",
                                     hours=48, macro=macro, confirmed_broad=True, max_per_run=MATCHING)
    Automation.objects.exclude(pk=rule.pk).update(active=False)  # the shipped rules, if a migration made them
    now = timezone.now()
    with CaptureQueriesContext(connection) as select_queries:
        started = time.perf_counter()
        found = list(automations.candidates(rule, now=now).values_list("pk", flat=True)[: MATCHING * 2])
        select_ms = (time.perf_counter() - started) * 1000
    assert len(found) == MATCHING
    plan = _plan(automations.candidates(rule, now=now)[: MATCHING * 2])
    automations.automation_account()  # made once, as on any running system
    as_a_worker_after_start_up()
    with counted() as sweep_queries:
        started, cpu = time.perf_counter(), time.process_time()
        totals = automations.automations_sweep(now=now + timedelta(seconds=1))
        sweep_ms = (time.perf_counter() - started) * 1000
        sweep_cpu_ms = (time.process_time() - cpu) * 1000
    assert totals["applied"] >= MATCHING, totals
    with counted() as idle_queries:
        started = time.perf_counter()
        automations.automations_sweep(now=now + timedelta(seconds=2))
        idle_ms = (time.perf_counter() - started) * 1000
    report("automation_sweep", open_tickets=SCALE, matching=MATCHING, rules=Automation.objects.count(),
           select_ms=round(select_ms, 1), select_queries=len(select_queries), select_plan=plan,
           sweep_ms=round(sweep_ms, 1), sweep_python_cpu_ms=round(sweep_cpu_ms, 1), sweep_queries=sweep_queries[0],
           queries_per_ticket=round(sweep_queries[0] / max(totals["applied"], 1), 1), applied=totals["applied"],
           idle_sweep_ms=round(idle_ms, 1), idle_sweep_queries=idle_queries[0])
