from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = _("System")
    # Role name → codenames (profiles.roles.sync_roles reads these; core cannot import the Role enum).
    role_permissions = {"supervisor": ["view_quarantinedmessage", "change_quarantinedmessage"]}

    def ready(self) -> None:
        # Registers the PII key system check and the key-ring reset on settings changes.
        from django.db import models
        from rest_framework.serializers import ModelSerializer

        from core import crypto, webhooks  # noqa: F401
        from core.serializers import DateTimeField

        webhooks.watch_endpoints()
        # Every model date-time in a ModelSerializer renders through the one core field (whole-minute offsets).
        ModelSerializer.serializer_field_mapping[models.DateTimeField] = DateTimeField
