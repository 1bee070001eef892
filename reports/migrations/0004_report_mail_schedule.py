from typing import Any

from django.db import migrations
from django.utils import timezone

TASK = "reports.tasks.send_scheduled_reports"
EVERY_SECONDS = 300


def schedule(apps: Any, schema_editor: Any) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    interval = (
        interval_model.objects.filter(every=EVERY_SECONDS, period="seconds").order_by("pk").first()
        or interval_model.objects.create(every=EVERY_SECONDS, period="seconds")
    )
    # Keyed by name so re-running never duplicates it, and an operator's later edits survive.
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=TASK, defaults={"task": TASK, "interval": interval})
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_saved_reports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
