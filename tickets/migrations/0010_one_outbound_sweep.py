from django.db import migrations

from core.beat_schedule import BEAT_MIGRATION, Every, unschedule


class Migration(migrations.Migration):
    """E-mail is swept with every other channel's replies by `send_due_outbound` (scheduled in 0005)."""

    dependencies = [
        ("tickets", "0009_history"),
        BEAT_MIGRATION,
    ]

    operations = [unschedule({
        "tickets.tasks.send_due_emails": Every(60),
    })]
