from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, DailyAt, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        # 01:30 Beijing time: the day is over and late writes (surveys, refunds confirmed at midnight) are in.
        "reports.tasks.rollup_yesterday": DailyAt(1, 30),
    })]
