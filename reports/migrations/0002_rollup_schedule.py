from typing import Any

from django.db import migrations
from django.utils import timezone

TASK = "reports.tasks.rollup_yesterday"


def schedule_rollup(apps: Any, schema_editor: Any) -> None:
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    # 01:30 Beijing time: the day is over and late writes (surveys, refunds confirmed at midnight) are in.
    crontab, _ = crontab_model.objects.get_or_create(
        minute="30", hour="1", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    # Keyed by name so re-running never duplicates it, and an operator's later edits survive.
    periodic_task_model.objects.get_or_create(name=TASK, defaults={"task": TASK, "crontab": crontab, "enabled": True})
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unschedule_rollup(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_rollup, unschedule_rollup)]
