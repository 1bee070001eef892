from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from aftersales import notifications

        notifications.subscribe()

    def seed_demo(self, stdout: Any) -> None:
        from aftersales import demo

        demo.seed(stdout)
