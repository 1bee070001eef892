from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender: AppConfig, apps: Any = global_apps, **kwargs: Any) -> None:
    # Roles hold permissions of every app, which exist only once the last app's post_migrate
    # has created them (post_migrate is sent once per app, in INSTALLED_APPS order).
    # `flush` (TransactionTestCase teardown) emits post_migrate without `apps`; the live registry then.
    last_app = [config for config in global_apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label != last_app.label:
        return
    from profiles import permissions
    from profiles.roles import sync_roles

    sync_roles(apps)
    permissions.forget_all()


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="profiles.sync_roles")
        from core import customer_merge
        from profiles import (  # noqa: F401  (realtime subscribes the live presence broadcast)
            audit,
            customers,
            identities,
            permissions,
            realtime,
            services,
        )

        audit.subscribe()
        services.register_caches()
        permissions.register()
        customers.register_tag_kinds()
        customer_merge.register(identities.MERGE_HANDLER)
