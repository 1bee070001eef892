from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, DailyAt, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "knowledge.tasks.sweep_article_schedule": Every(300),
        "knowledge.tasks.draft_faqs_nightly": DailyAt(3, 30),
    })]
