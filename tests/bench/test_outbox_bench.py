"""What the outbox costs: enqueue (name and argument checks, one INSERT) inside a transaction, the relay to
the real Redis broker after commit, and the beat sweep over a backlog left by a broker outage.

BENCH_SCALE sets the number of messages (default 2,000). Nothing consumes the queue here; the test
purges what it sent.
"""

import logging
import os
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from core import queueing
from core.models import OutboxMessage
from service_center.celery import app as celery_app
from tests.broker import broker_down

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]
TASK = "tickets.tasks.send_email"


def test_outbox_enqueue_relay_and_sweep(report: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="core.queueing")  # one "not sent" line per message
    count = int(os.environ.get("BENCH_SCALE", "2000"))
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    try:
        started = time.perf_counter()
        with transaction.atomic():
            for number in range(count):
                queueing.enqueue(TASK, email_id=number)
            enqueued = time.perf_counter()
        committed_and_relayed = time.perf_counter()
        assert OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() == count

        OutboxMessage.objects.all().delete()
        with broker_down(), transaction.atomic():
            for number in range(count):
                queueing.enqueue(TASK, email_id=number)
        swept = 0
        sweep_started = time.perf_counter()
        later = timezone.now() + timedelta(minutes=5)
        while (result := queueing.sweep(now=later))["sent"]:
            swept += result["sent"]
        sweep_seconds = time.perf_counter() - sweep_started
    finally:
        celery_app.control.purge()
        celery_app.conf.task_always_eager = eager
    assert swept == count
    report("outbox", messages=count,
           enqueue_per_s=round(count / (enqueued - started)),
           relay_after_commit_per_s=round(count / (committed_and_relayed - enqueued)),
           sweep_after_outage_per_s=round(count / sweep_seconds))
