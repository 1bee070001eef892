from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0002_roles"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "profiles.tasks.mark_stale_agents_away": Every(60),
    })]
