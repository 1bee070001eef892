from typing import Any

from django.db import migrations
from django.utils import timezone

TASK = "tickets.tasks.send_due_emails"
EVERY_SECONDS = 60


def schedule(apps: Any, schema_editor: Any) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    interval = (
        interval_model.objects.filter(every=EVERY_SECONDS, period="seconds").order_by("pk").first()
        or interval_model.objects.create(every=EVERY_SECONDS, period="seconds")
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=TASK, defaults={"task": TASK, "interval": interval, "enabled": True})
    _tell_running_beat(apps)


def unschedule(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK).delete()
    _tell_running_beat(apps)


def _tell_running_beat(apps: Any) -> None:
    # Historical models send no signals, so bump the change marker DatabaseScheduler polls.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_email_retry_release_bounce"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
