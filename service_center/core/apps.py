from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "service_center.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the PII key system check and the key-ring reset on settings changes.
        from service_center.core import crypto  # noqa: F401
