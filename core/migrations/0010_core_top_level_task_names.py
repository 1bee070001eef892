"""core moved from service_center/core to the top-level package core: rename stored task names.

Beat entries and outbox rows written before the move name tasks `service_center.core.tasks.*`; Celery only
knows them as `core.tasks.*` now, so pending work and schedules are carried over rather than left to fail.
"""

from typing import Any

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Replace

from core.beat_schedule import BEAT_MIGRATION

OLD_PREFIX = "service_center.core."
NEW_PREFIX = "core."


def rename(apps: Any, schema_editor: Any) -> None:
    outbox = apps.get_model("core", "OutboxMessage")
    outbox.objects.filter(task_name__startswith=OLD_PREFIX).update(
        task_name=Replace("task_name", Value(OLD_PREFIX), Value(NEW_PREFIX)))
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    renamed = periodic_task.objects.filter(task__startswith=OLD_PREFIX).update(
        task=Replace("task", Value(OLD_PREFIX), Value(NEW_PREFIX)))
    periodic_task.objects.filter(name__startswith=OLD_PREFIX).exclude(
        name__in=periodic_task.objects.filter(name__startswith=NEW_PREFIX).values("name")).update(
        name=Replace("name", Value(OLD_PREFIX), Value(NEW_PREFIX)))
    if renamed:
        apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(ident=1)


class Migration(migrations.Migration):

    dependencies = [("core", "0009_backup_runs"), BEAT_MIGRATION]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
