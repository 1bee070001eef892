from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

from profiles.roles import sync_roles


def create_roles(apps: Any, schema_editor: Any) -> None:
    # Permissions are normally created after all migrations; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps)


def remove_roles(apps: Any, schema_editor: Any) -> None:
    from profiles.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=[str(role) for role in Role]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
