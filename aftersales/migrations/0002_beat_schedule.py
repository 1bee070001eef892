from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0001_initial"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "aftersales.tasks.sweep_deadlines": Every(60),
        "aftersales.tasks.reconcile_refunds": Every(60),
    })]
