from typing import Any

from django.db import migrations
from django.utils import timezone

SWEEP = "knowledge.tasks.sweep_article_schedule"
SWEEP_EVERY_SECONDS = 300
DRAFTS = "knowledge.tasks.draft_faqs_nightly"


def schedule(apps: Any, schema_editor: Any) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    # filter().first() rather than get_or_create: an admin may already have made duplicates.
    interval = (
        interval_model.objects.filter(every=SWEEP_EVERY_SECONDS, period="seconds").order_by("pk").first()
        or interval_model.objects.create(every=SWEEP_EVERY_SECONDS, period="seconds")
    )
    nightly = {
        "minute": "30", "hour": "3", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
        "timezone": "Asia/Shanghai",
    }
    crontab = crontab_model.objects.filter(**nightly).order_by("pk").first() or crontab_model.objects.create(**nightly)
    # Keyed by name so re-running never duplicates them, and an operator's later edits survive.
    periodic_task_model.objects.get_or_create(name=SWEEP, defaults={"task": SWEEP, "interval": interval})
    periodic_task_model.objects.get_or_create(name=DRAFTS, defaults={"task": DRAFTS, "crontab": crontab})
    _tell_running_beat(apps)


def unschedule(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[SWEEP, DRAFTS]).delete()
    _tell_running_beat(apps)


def _tell_running_beat(apps: Any) -> None:
    # Historical models send no signals, so bump the change marker DatabaseScheduler polls.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
