from typing import Any

from django.db import migrations
from django.utils import timezone

TASKS = ("aftersales.tasks.sweep_deadlines", "aftersales.tasks.reconcile_refunds")
EVERY_SECONDS = 60


def schedule(apps: Any, schema_editor: Any) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval = (
        interval_model.objects.filter(every=EVERY_SECONDS, period="seconds").order_by("pk").first()
        or interval_model.objects.create(every=EVERY_SECONDS, period="seconds")
    )
    for task in TASKS:
        # Keyed by name so re-running never duplicates it, and an operator's later edits survive.
        periodic_task_model.objects.get_or_create(name=task, defaults={"task": task, "interval": interval})
    _tell_running_beat(apps)


def unschedule(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=TASKS).delete()
    _tell_running_beat(apps)


def _tell_running_beat(apps: Any) -> None:
    # Historical models send no signals, so bump the change marker DatabaseScheduler polls.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
