"""The presence sweep: what it changes, run eagerly, through a real worker, and on beat's schedule."""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_received
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from profiles.models import AgentProfile, PresenceTab, User
from profiles.tasks import mark_stale_agents_away
from service_center.celery import app as celery_app
from tests.migration_replay import replay_schedule
from tests.realtime.conftest import make_online

STALE_AFTER = 120
TASK_NAME = "profiles.tasks.mark_stale_agents_away"
SCHEDULE_MIGRATION = ("profiles", "0003_presence_schedule")


def profile(user: User) -> AgentProfile:
    return AgentProfile.objects.get(user=user)


@pytest.fixture
def stale_after(settings: Any) -> int:
    settings.PRESENCE_STALE_AFTER_SECONDS = STALE_AFTER
    return STALE_AFTER


@pytest.fixture
def not_eager() -> Iterator[None]:
    # Whatever CELERY_TASK_ALWAYS_EAGER says, `.delay()` must go through the broker here.
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = was_eager


@pytest.mark.django_db
def test_sweep_takes_agents_whose_tabs_all_went_stale_offline(make_user: Callable[..., User], stale_after: int) -> None:
    stale, fresh, offline = (make_user("agent") for _ in range(3))
    make_online(stale, seen_seconds_ago=stale_after + 30)
    make_online(fresh, seen_seconds_ago=stale_after - 30)
    day_ago = timezone.now() - timedelta(days=1)
    AgentProfile.objects.filter(user=offline).update(presence="offline", last_seen_at=day_ago)

    assert mark_stale_agents_away.apply().get() == 1

    assert [profile(user).presence for user in (stale, fresh, offline)] == ["offline", "online", "offline"]
    latest = AgentProfile.history.filter(user_id=stale.pk).latest("history_id")
    assert (latest.presence, latest.history_type) == ("offline", "~")
    assert not AgentProfile.history.filter(user_id=fresh.pk, history_type="~").exists()
    assert not PresenceTab.objects.filter(agent__user=stale).exists()


@pytest.mark.django_db
def test_sweep_shows_idle_online_agents_away_but_leaves_busy_ones(
    make_user: Callable[..., User], stale_after: int, settings: Any
) -> None:
    settings.PRESENCE_IDLE_AWAY_SECONDS = 600
    idle, busy = make_user("agent"), make_user("agent")
    for user in (idle, busy):
        make_online(user, seen_seconds_ago=10)
    AgentProfile.objects.filter(user__in=[idle, busy]).update(last_active_at=timezone.now() - timedelta(seconds=900))
    AgentProfile.objects.filter(user=busy).update(presence="busy", chosen_presence="busy")

    assert mark_stale_agents_away.apply().get() == 1

    assert [profile(user).presence for user in (idle, busy)] == ["away", "busy"]
    assert profile(idle).chosen_presence == "online"


@pytest.mark.django_db
def test_sweep_is_idempotent(make_user: Callable[..., User], stale_after: int) -> None:
    stale = make_user("agent")
    make_online(stale, seen_seconds_ago=stale_after * 10)
    assert mark_stale_agents_away.apply().get() == 1

    assert mark_stale_agents_away.apply().get() == 0

    assert profile(stale).presence == "offline"
    assert AgentProfile.history.filter(user_id=stale.pk, history_type="~").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_from_the_broker(
    make_user: Callable[..., User], stale_after: int, not_eager: None
) -> None:
    stale = make_user("agent")
    make_online(stale, seen_seconds_ago=stale_after * 10)
    received_by_worker: list[str] = []

    def record(request: Any, **kwargs: Any) -> None:
        received_by_worker.append(request.id)

    task_received.connect(record, weak=False)
    try:
        # The task's named queue, as make run's worker consumes it (settings.TASK_QUEUES).
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30,
                          queues=list(settings.TASK_QUEUES)):
            sent = mark_stale_agents_away.delay()
            # Polling the effect, since no result backend is configured.
            deadline = time.monotonic() + 20
            while profile(stale).presence != "offline" and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        task_received.disconnect(record)

    assert profile(stale).presence == "offline"
    assert received_by_worker == [sent.id]
    assert AgentProfile.history.filter(user_id=stale.pk, history_type="~").count() == 1


@pytest.mark.django_db
def test_migration_registers_the_sweep_every_minute_idempotently() -> None:
    assert SCHEDULE_MIGRATION in MigrationRecorder(connection).applied_migrations()
    historical_apps = MigrationExecutor(connection).loader.project_state(SCHEDULE_MIGRATION).apps
    # A transactional test's flush truncates data rows under --reuse-db, so replay the migration here
    # with the models as they were at that migration, exactly as `migrate` runs it.
    replay_schedule("profiles.migrations.0003_presence_schedule", historical_apps, reverse=True)
    assert not PeriodicTask.objects.filter(task=TASK_NAME).exists()

    replay_schedule("profiles.migrations.0003_presence_schedule", historical_apps)
    replay_schedule("profiles.migrations.0003_presence_schedule", historical_apps)

    sweep = PeriodicTask.objects.select_related("interval").get(task=TASK_NAME)
    assert sweep.enabled
    assert sweep.interval is not None
    assert (sweep.interval.every, sweep.interval.period) == (60, IntervalSchedule.SECONDS)
    assert IntervalSchedule.objects.filter(every=60, period=IntervalSchedule.SECONDS).count() == 1
    beat_schedule = DatabaseScheduler(app=celery_app, lazy=True).all_as_schedule()
    assert beat_schedule[sweep.name].task == TASK_NAME
    assert beat_schedule[sweep.name].schedule.run_every == timedelta(seconds=60)
