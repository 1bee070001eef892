from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, schedule


class Migration(migrations.Migration):
    """Every minute: waiting chats go to agents who have room, and once the service hours end the chats
    still waiting are told so and leave the queue (chat.services.assign_waiting)."""

    dependencies = [
        ("chat", "0006_verbose_names"),
        BEAT_MIGRATION,
    ]

    operations = [schedule({
        "chat.tasks.assign_waiting": Every(60),
    })]
