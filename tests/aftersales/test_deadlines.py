"""Deadlines swept by the one beat task, with a frozen clock."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from aftersales import tasks
from aftersales.models import Status
from aftersales.services import requests
from tests.aftersales.factories import apply, make_order
from tests.migration_replay import replay_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`clock(dt)` freezes `timezone.now()` at dt for everything that reads it."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def test_the_sweeps_are_scheduled_on_beat_by_the_data_migration() -> None:
    # Transactional tests elsewhere flush the table, so run the migration's step again (it is idempotent).
    replay_schedule("aftersales.migrations.0002_beat_schedule", global_apps)
    replay_schedule("aftersales.migrations.0002_beat_schedule", global_apps)
    # The minute sweeps; the nightly crontab jobs are checked where they are defined.
    tasks_on_beat = list(PeriodicTask.objects.filter(enabled=True, task__startswith="aftersales.",
                                                     interval__isnull=False)
                         .values_list("task", "interval__every"))
    assert sorted(tasks_on_beat) == [("aftersales.tasks.reconcile_refunds", 60),
                                     ("aftersales.tasks.sweep_deadlines", 60)]


def test_review_deadline_approves_refund_only_and_escalates_the_rest(
    customer: Any, store_and_staff: Any, clock: Any, settings: Any, gateway: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.AFTERSALES_REVIEW_HOURS = 48
    store, _ = store_and_staff
    start = timezone.now()
    clock(start)
    refund_only = apply(make_order(customer=customer, store=store, signed_days_ago=None, now=start),
                        request_type="refund_only", reason="not-received", amount_fen=1_000)
    other = apply(make_order(customer=customer, store=store, now=start))
    assert refund_only.due_at == start + timedelta(hours=48)
    clock(start + timedelta(hours=47, minutes=59))
    assert tasks.sweep_deadlines() == 0
    clock(start + timedelta(hours=48, seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_deadlines() == 2
    refund_only.refresh_from_db()
    other.refresh_from_db()
    assert refund_only.status == Status.CLOSED  # approved, refunded, closed
    assert refund_only.events.filter(to_status=Status.APPROVED, actor_kind="system").exists()
    assert other.status == Status.ARBITRATION and other.due_at is None
    assert tasks.sweep_deadlines() == 0  # a second run finds nothing


def test_awaiting_return_closes_after_seven_days(customer: Any, store_and_staff: Any, clock: Any) -> None:
    store, staff = store_and_staff
    start = timezone.now()
    clock(start)
    request = requests.request_approve(request=apply(make_order(customer=customer, store=store, now=start)),
                                       user=staff)
    assert request.status == Status.AWAITING_RETURN
    clock(start + timedelta(days=6, hours=23))
    assert tasks.sweep_deadlines() == 0
    clock(start + timedelta(days=7, minutes=1))
    assert tasks.sweep_deadlines() == 1
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    last = request.events.last()
    assert last is not None and (last.to_status, last.actor_kind) == (Status.CLOSED, "system")


def test_shipping_the_return_in_time_stops_the_clock(customer: Any, store_and_staff: Any, clock: Any) -> None:
    store, staff = store_and_staff
    start = timezone.now()
    clock(start)
    request = requests.request_approve(request=apply(make_order(customer=customer, store=store, now=start)),
                                       user=staff)
    requests.request_ship_return(request=request, user=customer, courier="SF", tracking_number="SF1234567890")
    clock(start + timedelta(days=30))
    assert tasks.sweep_deadlines() == 0
