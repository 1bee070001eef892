"""Celery faults on real worker processes, with a Redis broker of the test's own.

- A worker SIGKILLed in the middle of an escalation (held at the ticket's row lock): its message is late-acked,
  so nothing is lost; the outbox sweep sends the row again once its run lease is over, another worker runs it,
  and the ticket climbs exactly one level.
- The broker down while escalations are enqueued: the rows wait in the outbox (PostgreSQL), and once Redis is
  back the sweep sends them; every ticket climbs once. CLUSTER_BROKER_OUTAGE_S sets the outage (bench: 30 s).
"""

import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from core import queueing
from core.database import libpq_conninfo
from core.models import OutboxMessage
from core.queueing import enqueue
from tests.cluster.processes import Worker, broker, until  # noqa: F401 (a fixture)
from tests.redis_server import RedisServer
from tickets import services as ticket_services
from tickets.models import Escalation, Ticket

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

RUN_LEASE_S = 3  # the workers' OUTBOX_RUN_LEASE_SECONDS: how long a lost run blocks its row
LEASE = {"OUTBOX_RUN_LEASE_SECONDS": str(RUN_LEASE_S)}
OUTAGE_S = float(os.environ.get("CLUSTER_BROKER_OUTAGE_S", "5"))
State = OutboxMessage.State


def _open_ticket(make_user: Callable[..., Any], number: int) -> Ticket:
    return ticket_services.ticket_create(customer=make_user("customer"), subject=f"催发货 {number}",
                                         body="三天了还没有发货。")


def _escalate(ticket: Ticket) -> OutboxMessage:
    return enqueue("tickets.tasks.escalate_ticket", ticket_id=ticket.pk, reason=Escalation.Reason.SLA_BREACH,
                   from_level=ticket.escalation_level)


def _state(message: OutboxMessage) -> str:
    message.refresh_from_db()
    return str(message.state)


def test_a_worker_killed_mid_task_runs_it_again_and_escalates_once(broker: RedisServer,  # noqa: F811
                                                                   tmp_path: Path,
                                                                   make_user: Callable[..., Any]) -> None:
    ticket = _open_ticket(make_user, 1)
    first = Worker(tmp_path, broker.url, "first", env=LEASE).ready()
    second = None
    try:
        with psycopg.connect(libpq_conninfo(settings.DATABASES["default"])) as holder:
            # The ticket's row lock, held here: the worker claims the message and then waits mid-task.
            holder.execute("SELECT 1 FROM tickets_ticket WHERE id = %s FOR UPDATE", (ticket.pk,))
            message = _escalate(ticket)
            until(lambda: _state(message) == State.RUNNING, "the first worker claiming the row", first)
            claimed = time.monotonic()
            # Started while the first is stuck: the queue is empty.
            second = Worker(tmp_path, broker.url, "second", env=LEASE)
            first.kill()
            holder.rollback()
        assert Escalation.objects.filter(ticket=ticket).count() == 0

        second.ready()
        time.sleep(max(0.0, claimed + RUN_LEASE_S - time.monotonic()))
        assert queueing.sweep()["sent"] == 1  # the lost run's lease is over: beat's sweep sends it again
        until(lambda: _state(message) == State.DONE, "the second worker running it", second)
    finally:
        first.kill()
        if second is not None:
            second.stop()
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert Escalation.objects.filter(ticket=ticket).count() == 1
    assert message.attempts == 2


def test_the_broker_down_loses_nothing_enqueued_meanwhile(broker: RedisServer, tmp_path: Path,  # noqa: F811
                                                          make_user: Callable[..., Any]) -> None:
    tickets = [_open_ticket(make_user, number) for number in range(5)]
    worker = Worker(tmp_path, broker.url, "worker", env=LEASE).ready()
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
        until(lambda: all(_state(message) == State.DONE for message in messages),
               "the worker running every message once Redis is back", worker, 90)
    finally:
        worker.stop()
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.escalation_level == 1
    assert Escalation.objects.filter(ticket__in=tickets).count() == len(tickets)
