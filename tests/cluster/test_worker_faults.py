"""Celery faults on real worker processes, with a Redis broker of the test's own.

- A worker SIGKILLed in the middle of an escalation (held at the ticket's row lock): its message is late-acked,
  so nothing is lost; the outbox sweep sends the row again once its run lease is over, another worker runs it,
  and the ticket climbs exactly one level.
- The broker down while escalations are enqueued: the rows wait in the outbox (PostgreSQL), and once Redis is
  back the sweep sends them; every ticket climbs once. CLUSTER_BROKER_OUTAGE_S sets the outage (bench: 30 s).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from core import queueing
from core.database import database_url, libpq_conninfo
from core.models import OutboxMessage
from core.queueing import enqueue
from service_center.celery import app as celery_app
from tests.redis_server import RedisServer
from tickets import services as ticket_services
from tickets.models import Escalation, Ticket

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

RUN_LEASE_S = 3  # the workers' OUTBOX_RUN_LEASE_SECONDS: how long a lost run blocks its row
OUTAGE_S = float(os.environ.get("CLUSTER_BROKER_OUTAGE_S", "5"))
State = OutboxMessage.State


class Worker:
    """`celery worker -Q sla` in a session of its own, so a SIGKILL takes the pool children with it."""

    def __init__(self, directory: Path, broker_url: str, name: str) -> None:
        self.log = directory / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"]), "REDIS_URL": broker_url,
               "OUTBOX_RUN_LEASE_SECONDS": str(RUN_LEASE_S), "CELERY_TASK_ALWAYS_EAGER": "0"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "service_center", "worker", "-Q", "sla", "-c", "1", "-l", "info",
                 "-n", f"{name}@%h", "--without-mingle", "--without-gossip"],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self) -> "Worker":
        _until(lambda: "ready." in self.log.read_text(errors="replace"), f"{self.log.stem} ready", self, 90)
        return self

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _until(condition: Callable[[], bool], what: str, worker: Worker | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = worker.log.read_text(errors="replace")[-3000:] if worker else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{log}")
        time.sleep(0.2)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own as Celery's broker, for this process too (eager runs off)."""
    redis = RedisServer(tmp_path)
    redis.start()
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def use(url: str) -> None:
        celery_app.conf["broker_url"] = url
        # The producer pools were built for the previous URL (private attributes: Celery has no public reset).
        celery_app._pool = None  # type: ignore[attr-defined]
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]

    use(redis.url)
    celery_app.conf.task_always_eager = False
    yield redis
    celery_app.pool.force_close_all()  # type: ignore[attr-defined]
    use(saved[0])
    celery_app.conf.task_always_eager = saved[1]
    redis.kill()


def _open_ticket(make_user: Callable[..., Any], number: int) -> Ticket:
    return ticket_services.ticket_create(customer=make_user("customer"), subject=f"催发货 {number}",
                                         body="三天了还没有发货。")


def _escalate(ticket: Ticket) -> OutboxMessage:
    return enqueue("tickets.tasks.escalate_ticket", ticket_id=ticket.pk, reason=Escalation.Reason.SLA_BREACH,
                   from_level=ticket.escalation_level)


def _state(message: OutboxMessage) -> str:
    message.refresh_from_db()
    return str(message.state)


def test_a_worker_killed_mid_task_runs_it_again_and_escalates_once(broker: RedisServer, tmp_path: Path,
                                                                   make_user: Callable[..., Any]) -> None:
    ticket = _open_ticket(make_user, 1)
    first = Worker(tmp_path, broker.url, "first").ready()
    second = None
    try:
        with psycopg.connect(libpq_conninfo(settings.DATABASES["default"])) as holder:
            # The ticket's row lock, held here: the worker claims the message and then waits mid-task.
            holder.execute("SELECT 1 FROM tickets_ticket WHERE id = %s FOR UPDATE", (ticket.pk,))
            message = _escalate(ticket)
            _until(lambda: _state(message) == State.RUNNING, "the first worker claiming the row", first)
            claimed = time.monotonic()
            second = Worker(tmp_path, broker.url, "second")  # starts while the first is stuck: the queue is empty
            first.kill()
            holder.rollback()
        assert Escalation.objects.filter(ticket=ticket).count() == 0

        second.ready()
        time.sleep(max(0.0, claimed + RUN_LEASE_S - time.monotonic()))
        assert queueing.sweep()["sent"] == 1  # the lost run's lease is over: beat's sweep sends it again
        _until(lambda: _state(message) == State.DONE, "the second worker running it", second)
    finally:
        first.kill()
        if second is not None:
            second.stop()
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert Escalation.objects.filter(ticket=ticket).count() == 1
    assert message.attempts == 2


def test_the_broker_down_loses_nothing_enqueued_meanwhile(broker: RedisServer, tmp_path: Path,
                                                          make_user: Callable[..., Any]) -> None:
    tickets = [_open_ticket(make_user, number) for number in range(5)]
    worker = Worker(tmp_path, broker.url, "worker").ready()
    try:
        broker.kill()
        began = time.monotonic()
        messages = [_escalate(ticket) for ticket in tickets]
        assert {_state(message) for message in messages} == {State.PENDING}  # refused by Redis, kept in PostgreSQL
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - began)))
        broker.start()
        # Beat's sweep, once the retry is due (OUTBOX_RETRY_BASE_SECONDS after the refusal).
        later = timezone.now() + timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS + 1)
        assert queueing.sweep(now=later)["sent"] == len(messages)
        _until(lambda: all(_state(message) == State.DONE for message in messages),
               "the worker running every message once Redis is back", worker, 90)
    finally:
        worker.stop()
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.escalation_level == 1
    assert Escalation.objects.filter(ticket__in=tickets).count() == len(tickets)
