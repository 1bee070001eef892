from typing import Any

from django.db import migrations

FLAG = "desk_ticket_suggestions"


def create_flag(apps: Any, schema_editor: Any) -> None:
    # Rolled out to every agent (buckets are 0-99, and waffle's field stops at 99.9); lower the
    # percentage in admin to run it as a canary again.
    apps.get_model("waffle", "Flag").objects.get_or_create(
        name=FLAG, defaults={"percent": 99.9, "note": "Knowledge suggestions on the desk ticket page."}
    )


def delete_flag(apps: Any, schema_editor: Any) -> None:
    apps.get_model("waffle", "Flag").objects.filter(name=FLAG).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_nightly_backup_schedule"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [migrations.RunPython(create_flag, delete_flag)]
