from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, DailyAt, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0010_request_ticket"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "aftersales.tasks.segment_customers": DailyAt(2, 30),
    })]
