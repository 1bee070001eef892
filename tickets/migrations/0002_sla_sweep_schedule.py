from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "tickets.tasks.sweep_sla": Every(60),
    })]
