from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, DailyAt, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_webhook_sweep_schedule"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        # 03:30 Beijing time: the quietest hour of a Chinese shop, after the day's nightly tasks.
        "core.tasks.daily_backup": DailyAt(3, 30),
    })]
