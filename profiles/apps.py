from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender: AppConfig, apps: Any = global_apps, **kwargs: Any) -> None:
    # `flush` (TransactionTestCase teardown) emits post_migrate without `apps`; the live registry then.
    from profiles.roles import sync_roles

    sync_roles(apps)


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        # Only once per migrate: after this app's own post_migrate, when its permissions exist.
        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="profiles.sync_roles")
        from profiles import realtime  # noqa: F401  (subscribes the live presence broadcast)
