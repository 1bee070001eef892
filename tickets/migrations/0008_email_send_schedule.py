from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_email_retry_release_bounce"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "tickets.tasks.send_due_emails": Every(60),
    })]
