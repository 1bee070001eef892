"""Two real `celery beat` processes on one database: exactly one sends the schedule, and when it dies the other
takes over (core/beat.py)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.beat import STANDBY_INTERVAL
from core.database import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server_kind]

PROBE = "profiles.tasks.mark_stale_agents_away"


class Beat:
    def __init__(self, name: str, directory: Path) -> None:
        self.log = directory / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"])}
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "service_center", "beat", "-l", "info",
                 "-s", str(directory / f"{name}.schedule"), "--pidfile", ""],
                cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def said(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)


def _until(condition: Callable[[], bool], what: str, beats: list[Beat], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n\n".join(f"{beat.log.name}:\n{beat.log.read_text()[-3000:]}" for beat in beats)
            pytest.fail(f"{what} did not happen within {timeout:.0f} s\n{logs}")
        time.sleep(0.2)


@pytest.fixture
def beats(tmp_path: Path) -> Iterator[list[Beat]]:
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="leader probe", task=PROBE, interval=every_second)
    started = [Beat("first", tmp_path), Beat("second", tmp_path)]
    yield started
    for beat in started:
        beat.stop(signal.SIGKILL)


def _sent_in(seconds: float) -> int:
    """Probe messages beat put on the probe's queue during `seconds` (no worker consumes it here)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_ROUTES[PROBE]["queue"]
    broker.delete(queue)
    time.sleep(seconds)
    return int(broker.llen(queue))


def test_two_beats_send_the_schedule_once_and_the_standby_takes_over(beats: list[Beat]) -> None:
    _until(lambda: any(beat.said("beat: leader") for beat in beats)
           and any(beat.said("stands by") for beat in beats), "one leader and one standby", beats)
    leader, standby = beats if beats[0].said("beat: leader") else beats[::-1]
    assert not standby.said("beat: leader")

    # Over 10 s one leader sends about 10 probes (a starved CI box bunches or skips a few); two would send 20.
    sent = _sent_in(10)
    assert 5 <= sent <= 14, f"{sent} probes in 10 s from a 1-second schedule: two beats would send about 20"

    leader.stop(signal.SIGKILL)  # a crash: no clean shutdown, PostgreSQL ends its session and frees the lock
    _until(lambda: standby.said("beat: leader"), "the standby taking over", beats, timeout=STANDBY_INTERVAL + 30)
    assert _sent_in(4) >= 2
