"""Celery beat entries, written by each app's data migrations through one helper.

A schedule is data in django-celery-beat's tables, so a fresh database gets it from a migration. Entries
are keyed by task name and never overwritten, so an operator's later edits in admin survive a re-run;
schedules are looked up with filter().first() because an admin may already have made duplicates.
Historical models send no signals, so the change marker that DatabaseScheduler polls is bumped by hand.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import migrations
from django.utils import timezone

BEAT_TIMEZONE = "Asia/Shanghai"
# The migration that introduced django-celery-beat's change marker; schedule migrations depend on it.
BEAT_MIGRATION = ("django_celery_beat", "0019_alter_periodictasks_options")


@dataclass(frozen=True)
class Every:
    seconds: int


@dataclass(frozen=True)
class DailyAt:
    """A time of day in Beijing time."""

    hour: int
    minute: int = 0


def _interval(apps: Any, every: Every) -> Any:
    model = apps.get_model("django_celery_beat", "IntervalSchedule")
    return (model.objects.filter(every=every.seconds, period="seconds").order_by("pk").first()
            or model.objects.create(every=every.seconds, period="seconds"))


def _crontab(apps: Any, daily: DailyAt) -> Any:
    model = apps.get_model("django_celery_beat", "CrontabSchedule")
    fields = {"minute": str(daily.minute), "hour": str(daily.hour), "day_of_week": "*", "day_of_month": "*",
              "month_of_year": "*", "timezone": BEAT_TIMEZONE}
    return model.objects.filter(**fields).order_by("pk").first() or model.objects.create(**fields)


def _tell_running_beat(apps: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()})


def _adder(entries: Mapping[str, Every | DailyAt]) -> Any:
    def add(apps: Any, schema_editor: Any) -> None:
        periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
        for task, when in entries.items():
            when_field = {"interval": _interval(apps, when)} if isinstance(when, Every) else {
                "crontab": _crontab(apps, when)}
            periodic_task.objects.get_or_create(name=task, defaults={"task": task, "enabled": True, **when_field})
        _tell_running_beat(apps)

    return add


def _remover(entries: Mapping[str, Every | DailyAt]) -> Any:
    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(entries)).delete()
        _tell_running_beat(apps)

    return remove


def schedule(entries: Mapping[str, Every | DailyAt]) -> migrations.RunPython:
    """The migration operation that adds `entries` (task name → when), and removes them when reversed."""
    return migrations.RunPython(_adder(entries), _remover(entries))


def unschedule(entries: Mapping[str, Every | DailyAt]) -> migrations.RunPython:
    """The operation for a task that is gone: removes its entry, and puts `entries` back when reversed."""
    return migrations.RunPython(_remover(entries), _adder(entries))
