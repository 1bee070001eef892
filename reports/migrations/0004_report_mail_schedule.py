from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_saved_reports"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "reports.tasks.send_scheduled_reports": Every(300),
    })]
