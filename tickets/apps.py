from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _grant_after_migrate(sender: AppConfig, apps: Any = global_apps, **kwargs: Any) -> None:
    # `flush` (TransactionTestCase teardown) emits post_migrate without `apps`; the live registry then.
    from tickets.roles import grant_ticket_permissions

    grant_ticket_permissions(apps)


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        post_migrate.connect(_grant_after_migrate, sender=self, dispatch_uid="tickets.grant_permissions")
        # Live pushes and webhooks hear ticket events in every process (web, worker).
        from tickets import realtime

        realtime.subscribe()

    def seed_demo(self, stdout: Any) -> None:
        from tickets.demo import seed

        seed(stdout)
