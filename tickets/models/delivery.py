"""The delivery state every outgoing row carries, declared once for the one delivery skeleton
(`tickets.services.delivery`) that leases, retries and gives up on them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.Model):
    """Attempts made so far and when the next one is due (null: due now, or no longer pending)."""

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        abstract = True
