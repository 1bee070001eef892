from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_channels"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "tickets.tasks.send_due_outbound": Every(60),
    })]
