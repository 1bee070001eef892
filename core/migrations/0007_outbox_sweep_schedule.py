from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_outbox_message"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "core.tasks.sweep_outbox": Every(30),
    })]
