from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_webhooks"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "core.tasks.sweep_webhooks": Every(60),
    })]
