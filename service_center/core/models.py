"""The few tables shared by every app. Core imports no domain app, so users are referenced by setting."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from service_center.core.fields import EncryptedTextField


class IdempotencyRecord(models.Model):
    """The response to one `Idempotency-Key`, replayed when the same caller retries the same request.

    The row is inserted before the handler runs, in the handler's transaction: a concurrent retry
    blocks on the unique constraint until the first attempt commits or rolls back.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    # JSON text, encrypted: a replayed response can carry the PII its caller was allowed to see.
    response_body = EncryptedTextField(_("response body"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
