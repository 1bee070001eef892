"""The outbox: enqueue by name in the caller's transaction, relay after commit, sweep, claim once, back off, die."""

import ast
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.app.task import Context
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core import queueing
from core.models import OutboxMessage
from core.outbox_header import OUTBOX_HEADER, outbox_message_id
from core.queueing import UnknownTask, enqueue
from service_center.celery import app as celery_app
from tests.broker import broker_down
from tests.pages.test_service_metrics import metric, scrape

pytestmark = pytest.mark.django_db
State = OutboxMessage.State
RUNS: list[dict[str, Any]] = []


@celery_app.task(name="tests.core.record_run")
def record_run(order_id: int, note: str = "") -> int:
    RUNS.append({"order_id": order_id, "note": note})
    if note == "fail":
        raise RuntimeError("the provider said no")
    return order_id


@pytest.fixture(autouse=True)
def _eager_runs(celery_eager: None) -> Iterator[None]:
    RUNS.clear()
    yield
    RUNS.clear()


def test_a_row_is_written_in_the_callers_transaction_and_runs_once_after_commit(
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("tests.core.record_run", order_id=7, note="x")
        assert RUNS == []  # nothing runs before the commit
    message.refresh_from_db()
    assert RUNS == [{"order_id": 7, "note": "x"}]
    assert (message.state, message.attempts, message.kwargs) == (State.DONE, 1, {"order_id": 7, "note": "x"})
    assert message.finished_at is not None and message.lease_until is None


def test_a_rolled_back_transaction_takes_the_work_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("tests.core.record_run", order_id=1)
        raise RuntimeError("the caller failed")
    assert not OutboxMessage.objects.exists()


def test_unknown_names_wrong_arguments_and_non_json_are_refused_before_anything_is_written() -> None:
    with pytest.raises(UnknownTask, match=r"tickets\.tasks\.no_such_task"):
        enqueue("tickets.tasks.no_such_task", ticket_id=1)
    with pytest.raises(TypeError, match="does not take these arguments"):
        enqueue("tests.core.record_run", order=1)
    with pytest.raises(TypeError, match="must be JSON"):
        enqueue("tests.core.record_run", order_id=object())
    assert not OutboxMessage.objects.exists()


def test_a_relayed_row_delivered_twice_runs_once(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("tests.core.record_run", order_id=3)
    # The broker hands the same message out again (late ack after a lost connection, a sweep re-send).
    record_run.apply(kwargs={"order_id": 3}, headers={OUTBOX_HEADER: str(message.pk)})
    assert len(RUNS) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DONE, 1)


@pytest.fixture
def through_the_broker(_eager_runs: None) -> Iterator[None]:
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # nothing another test left in the queue
    yield
    celery_app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_message_the_broker_delivers_twice_once(through_the_broker: None) -> None:
    finished: list[str] = []

    def count(task_id: str, **kwargs: Any) -> None:
        finished.append(task_id)

    task_postrun.connect(count, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            message = enqueue("tests.core.record_run", order_id=31)  # no transaction: relayed at once
            # The same message again, as the broker hands it out after a lost acknowledgement.
            record_run.apply_async(kwargs={"order_id": 31}, headers={OUTBOX_HEADER: str(message.pk)})
            deadline = time.monotonic() + 30
            while len(finished) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        task_postrun.disconnect(count)

    assert len(finished) == 2
    assert RUNS == [{"order_id": 31, "note": ""}]
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.DONE, 1)


def test_a_second_delivery_while_the_first_runs_does_nothing() -> None:
    message = OutboxMessage.objects.create(task_name="tests.core.record_run", kwargs={"order_id": 4},
                                           state=State.RUNNING, attempts=1, available_at=timezone.now(),
                                           lease_until=timezone.now() + timedelta(minutes=5))
    record_run.apply(kwargs={"order_id": 4}, headers={OUTBOX_HEADER: str(message.pk)})
    assert RUNS == []


def test_a_worker_reads_the_row_id_from_the_message_headers() -> None:
    # A worker builds the request from the message headers; the custom one becomes a request attribute.
    worker_request = Context({"id": "abc", "task": "tests.core.record_run", OUTBOX_HEADER: 12})
    assert outbox_message_id(worker_request) == 12
    assert outbox_message_id(Context({"id": "abc"})) is None


def test_the_broker_down_leaves_the_row_pending_and_the_sweep_sends_it_when_it_is_back(
        django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture) -> None:
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        message = enqueue("tests.core.record_run", order_id=5)
    message.refresh_from_db()
    assert message.state == State.PENDING and "Error 111" in message.last_error and message.attempts == 0
    assert "not sent, will retry" in caplog.text and RUNS == []

    assert queueing.sweep()["sent"] == 0  # not due yet: the retry waits a little
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS + 1)
    assert queueing.sweep(now=later) == {"due": 1, "sent": 1, "dead": 0, "purged": 0}
    assert RUNS == [{"order_id": 5, "note": ""}]
    assert OutboxMessage.objects.get().state == State.DONE


def test_a_failed_run_backs_off_exponentially_then_dies(settings: Any, django_capture_on_commit_callbacks: Any,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    settings.OUTBOX_MAX_ATTEMPTS, settings.OUTBOX_RETRY_BASE_SECONDS = 3, 10
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("tests.core.record_run", order_id=6, note="fail")
    waits = []
    for _attempt in range(2):
        message.refresh_from_db()
        assert message.state == State.PENDING and "the provider said no" in message.last_error
        waits.append(round((message.available_at - timezone.now()).total_seconds()))
        queueing.sweep(now=message.available_at)
    assert waits == [10, 20]
    message.refresh_from_db()
    assert (message.state, message.attempts, len(RUNS)) == (State.DEAD, 3, 3)
    assert "is dead after 3 attempts" in caplog.text
    assert queueing.sweep(now=timezone.now() + timedelta(days=1))["sent"] == 0  # the dead stay dead


def test_a_row_whose_worker_vanished_is_sent_again_and_buried_after_the_last_attempt(settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    expired = timezone.now() - timedelta(seconds=1)
    lost = OutboxMessage.objects.create(task_name="tests.core.record_run", kwargs={"order_id": 8},
                                        state=State.RUNNING, attempts=1, available_at=expired, lease_until=expired)
    hopeless = OutboxMessage.objects.create(task_name="tests.core.record_run", kwargs={"order_id": 9},
                                            state=State.SENT, attempts=2, available_at=expired, lease_until=expired)
    assert queueing.sweep() == {"due": 1, "sent": 1, "dead": 1, "purged": 0}
    assert RUNS == [{"order_id": 8, "note": ""}]
    lost.refresh_from_db()
    hopeless.refresh_from_db()
    assert (lost.state, lost.attempts) == (State.DONE, 2)
    assert hopeless.state == State.DEAD and "worker was lost" in hopeless.last_error


def test_done_rows_are_purged_after_the_keep_period(settings: Any) -> None:
    old = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DONE_DAYS + 1)
    OutboxMessage.objects.create(task_name="tests.core.record_run", state=State.DONE, available_at=old,
                                 finished_at=old)
    OutboxMessage.objects.create(task_name="tests.core.record_run", state=State.DEAD, available_at=old,
                                 finished_at=old)
    assert queueing.sweep()["purged"] == 1
    assert list(OutboxMessage.objects.values_list("state", flat=True)) == [State.DEAD]


def test_a_task_that_is_gone_from_the_code_dies_at_relay(caplog: pytest.LogCaptureFixture) -> None:
    message = OutboxMessage.objects.create(task_name="tickets.tasks.removed_long_ago", available_at=timezone.now())
    assert queueing.relay([message.pk]) == 0
    message.refresh_from_db()
    assert message.state == State.DEAD and "removed_long_ago" in message.last_error


def test_beat_and_direct_calls_run_without_an_outbox_row() -> None:
    assert record_run(10) == 10
    record_run.apply(kwargs={"order_id": 11})
    assert [run["order_id"] for run in RUNS] == [10, 11]


# --- every call site ---------------------------------------------------------------------------------------

PROJECT = Path(__file__).resolve().parents[2]
CODE = ["service_center", "profiles", "tickets", "chat", "aftersales", "knowledge", "quality", "reports", "desk"]


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for package in CODE:
        for path in (PROJECT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call):
                    yield f"{path.relative_to(PROJECT)}:{node.lineno}", node


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def test_every_enqueue_call_names_a_registered_task_with_arguments_it_takes() -> None:
    sites = [(where, call) for where, call in _calls() if _name(call) == "enqueue"]
    assert len(sites) >= 14
    for where, call in sites:
        name = call.args[0] if call.args else None
        assert isinstance(name, ast.Constant) and isinstance(name.value, str), f"{where}: name the task literally"
        assert not call.args[1:], f"{where}: task arguments are keywords"
        task = queueing.registered_task(name.value)  # UnknownTask names the typo
        accepted = set(task.run.__code__.co_varnames[:task.run.__code__.co_argcount])
        assert {keyword.arg for keyword in call.keywords} <= accepted, where


def test_no_code_starts_a_task_any_other_way() -> None:
    others = [where for where, call in _calls()
              if _name(call) in {"delay", "apply_async", "send_task"} and not where.startswith(
                  "core/queueing.py")]
    assert others == []


# --- admin and metric --------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user("admin"))
    return client


def test_admin_lists_by_state_shows_the_payload_and_retries_or_discards(
        admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    dead = OutboxMessage.objects.create(task_name="tests.core.record_run", kwargs={"order_id": 21},
                                        state=State.DEAD, attempts=8, available_at=now, last_error="boom")
    waiting = OutboxMessage.objects.create(task_name="tests.core.record_run", kwargs={"order_id": 22},
                                           available_at=now + timedelta(hours=1))
    listing = admin_client.get("/admin/core/outboxmessage/?state__exact=dead").content.decode()
    assert f"/admin/core/outboxmessage/{dead.pk}/change/" in listing
    assert f"/admin/core/outboxmessage/{waiting.pk}/change/" not in listing
    page = admin_client.get(f"/admin/core/outboxmessage/{dead.pk}/change/").content.decode()
    assert "&quot;order_id&quot;: 21" in page and "boom" in page

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/core/outboxmessage/", {"action": "retry_now", "_selected_action": [dead.pk]})
    dead.refresh_from_db()
    assert dead.state == State.DONE and RUNS == [{"order_id": 21, "note": ""}]

    admin_client.post("/admin/core/outboxmessage/", {"action": "discard", "_selected_action": [waiting.pk]})
    waiting.refresh_from_db()
    assert waiting.state == State.DISCARDED and "在管理后台丢弃" in waiting.last_error  # the site speaks Chinese
    assert queueing.sweep(now=now + timedelta(days=1))["sent"] == 0


def test_outbox_counts_by_state_are_a_metric(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-token"  # what scrape() sends once /metrics wants a scraper's token
    now = timezone.now()
    OutboxMessage.objects.create(task_name="tests.core.record_run", available_at=now)
    OutboxMessage.objects.create(task_name="tests.core.record_run", available_at=now)
    OutboxMessage.objects.create(task_name="tests.core.record_run", state=State.DEAD, available_at=now)
    text = scrape()
    assert metric(text, "service_center_outbox_messages", state="pending") == 2
    assert metric(text, "service_center_outbox_messages", state="dead") == 1
    assert metric(text, "service_center_outbox_messages", state="running") == 0
