from typing import Any

from django.db import migrations
from django.utils import timezone

TASK = "aftersales.tasks.segment_customers"


def schedule(apps: Any, schema_editor: Any) -> None:
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    crontab, _ = crontab_model.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    # Keyed by name so re-running never duplicates it, and an operator's later edits survive.
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=TASK, defaults={"task": TASK, "crontab": crontab, "enabled": True}
    )
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unschedule(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0010_request_ticket"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
