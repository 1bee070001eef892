"""The quarantine alert sends through core.messaging and marks the row that raised it; its own task is gone.

Outbox rows of the removed task `core.tasks.email_quarantine_alert` that were never run cannot run any more
(Celery no longer knows the name): they are discarded with that reason, visible in the outbox admin.
"""

from typing import Any

from django.db import migrations, models
from django.utils import timezone

REMOVED_TASK = "core.tasks.email_quarantine_alert"


def discard_removed_task(apps: Any, schema_editor: Any) -> None:
    apps.get_model("core", "OutboxMessage").objects.filter(
        task_name=REMOVED_TASK, state__in=["pending", "sent", "running"]).update(
        state="discarded", finished_at=timezone.now(),
        last_error="task removed: the quarantine alert is sent through core.messaging")


class Migration(migrations.Migration):

    dependencies = [("core", "0010_core_top_level_task_names")]

    operations = [
        migrations.AddField(
            model_name="quarantinedmessage",
            name="alerted",
            field=models.BooleanField(default=False, editable=False, verbose_name="alerted supervisors"),
        ),
        migrations.RunPython(discard_removed_task, migrations.RunPython.noop),
    ]
