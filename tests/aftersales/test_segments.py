"""Nightly RFM segments: new, high value, active, silent, with thresholds from admin; the high-value
segment lifts a new ticket's priority."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from aftersales import tasks
from aftersales.segments import classify, segment_customers
from profiles.models import CustomerProfile, SegmentPolicy, User
from tests.aftersales.factories import make_order
from tests.factories import CustomerProfileFactory
from tests.migration_replay import replay_schedule

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 23, 12, 0))


@pytest.mark.parametrize(
    ("joined_days_ago", "last_order_days_ago", "orders", "spent_fen", "segment"),
    [
        (400, 10, 2, 600_000, "high_value"),   # spent enough in the window
        (400, 10, 12, 1_000, "high_value"),    # or ordered often enough
        (10, None, 0, 0, "new"),               # joined lately, no order yet
        (10, 5, 1, 10_000, "new"),
        (400, 30, 1, 10_000, "active"),
        (400, 120, 1, 10_000, "silent"),       # last order beyond the active window
        (400, None, 0, 0, "silent"),
    ],
)
def test_classification(joined_days_ago: int, last_order_days_ago: int | None, orders: int, spent_fen: int,
                        segment: str) -> None:
    policy = SegmentPolicy()
    last = None if last_order_days_ago is None else NOW - timedelta(days=last_order_days_ago)
    assert classify(joined_at=NOW - timedelta(days=joined_days_ago), last_order_at=last, orders_in_window=orders,
                    spent_in_window_fen=spent_fen, policy=policy, now=NOW) == segment


def _customer(joined_days_ago: int) -> User:
    user = CustomerProfileFactory.create().user
    User.objects.filter(pk=user.pk).update(date_joined=NOW - timedelta(days=joined_days_ago))
    return user


def test_nightly_task_sets_each_segment_from_orders_and_admin_thresholds() -> None:
    big, fresh, regular, quiet = _customer(400), _customer(3), _customer(400), _customer(400)
    for _ in range(2):
        make_order(customer=big, paid_fen=300_000, now=NOW - timedelta(days=20))
    make_order(customer=regular, paid_fen=9_900, now=NOW - timedelta(days=40))
    make_order(customer=quiet, paid_fen=9_900, now=NOW - timedelta(days=300))

    result = segment_customers(now=NOW)
    segments = dict(CustomerProfile.objects.values_list("user_id", "segment"))
    assert (segments[big.pk], segments[fresh.pk], segments[regular.pk], segments[quiet.pk]) == (
        "high_value", "new", "active", "silent")
    assert result["changed"] == 4
    assert segment_customers(now=NOW)["changed"] == 0  # a rerun changes nothing

    # A supervisor raises the bar in admin: the big spender is no longer high value.
    SegmentPolicy.objects.create(high_value_min_spend_fen=1_000_000)
    segment_customers(now=NOW)
    assert CustomerProfile.objects.get(user=big).segment == "active"


def test_the_task_wraps_the_service(settings: Any) -> None:
    _customer(3)
    assert tasks.segment_customers()["new"] >= 1


def test_high_value_segment_lifts_ticket_priority(make_user: Callable[..., User]) -> None:
    from tickets import services as ticket_services

    customer = _customer(400)
    CustomerProfile.objects.filter(user=customer).update(segment=CustomerProfile.Segment.HIGH_VALUE)
    customer.refresh_from_db()
    ticket = ticket_services.ticket_create(customer=customer, subject="咨询", body="你好")
    assert ticket.priority == "high"


@pytest.mark.parametrize(("role", "status"), [("supervisor", 200), ("admin", 200), ("agent", 302), ("qa", 403)])
def test_supervisors_edit_the_thresholds(client_for: Callable[[str], Any], role: str, status: int) -> None:
    assert client_for(role).get("/admin/profiles/segmentpolicy/add/").status_code == status


def test_segments_are_recomputed_every_night_by_beat() -> None:

    from django.apps import apps as global_apps
    from django_celery_beat.models import PeriodicTask

    # Transactional tests elsewhere flush the table, so run the migration's step again (it is idempotent).
    replay_schedule("aftersales.migrations.0011_nightly_segments", global_apps)
    replay_schedule("aftersales.migrations.0011_nightly_segments", global_apps)
    task = PeriodicTask.objects.get(task="aftersales.tasks.segment_customers")
    assert task.enabled and task.crontab is not None
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "30", "Asia/Shanghai")


@pytest.mark.parametrize(
    ("joined_days_ago", "last_order_days_ago", "orders", "spent_fen", "segment"),
    [
        (400, 10, 1, 200_000, "high_value"),   # exactly the spend threshold counts
        (400, 10, 1, 199_999, "active"),       # one fen short does not
        (400, 10, 5, 1_000, "high_value"),     # exactly the order count counts
        (400, 10, 4, 1_000, "active"),
        (7, None, 0, 0, "new"),                # joined exactly at the edge of "new"
        (8, None, 0, 0, "silent"),
        (400, 15, 1, 1_000, "active"),         # ordered exactly at the edge of "active"
        (400, 16, 1, 1_000, "silent"),
    ],
)
def test_classification_at_each_admin_threshold(joined_days_ago: int, last_order_days_ago: int | None, orders: int,
                                                spent_fen: int, segment: str) -> None:
    policy = SegmentPolicy(new_within_days=7, active_within_days=15, high_value_min_spend_fen=200_000,
                           high_value_min_orders=5)
    last = None if last_order_days_ago is None else NOW - timedelta(days=last_order_days_ago)
    assert classify(joined_at=NOW - timedelta(days=joined_days_ago), last_order_at=last, orders_in_window=orders,
                    spent_in_window_fen=spent_fen, policy=policy, now=NOW) == segment
