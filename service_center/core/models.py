"""The few tables shared by every app. Core imports no domain app, so users are referenced by setting."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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


class WebhookEndpoint(models.Model):
    """An integrator's URL that receives signed JSON for the events it subscribes to (edited in admin)."""

    name = models.CharField(_("name"), max_length=80)
    url = models.URLField(_("URL"), max_length=500)
    # Encrypted at rest: whoever reads the database must not be able to forge signatures.
    secret = EncryptedTextField(_("signing secret"))
    events = ArrayField(models.CharField(max_length=60), verbose_name=_("events"), default=list,
                        help_text=_("Event names, e.g. ticket.created; “*” for every event."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint: the row is the source of truth for retries (swept by beat)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Delivery failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"))
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4)
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes = [
            # The sweep's column: only deliveries still to be attempted have a time.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"),
                         name="webhook_delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


class BackupRun(models.Model):
    """One attempt at a database backup, nightly or by hand: the record supervisors read to trust the backups."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("nightly schedule")
        COMMAND = "command", _("command")

    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    succeeded = models.BooleanField(_("succeeded"))
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    pruned = models.PositiveIntegerField(_("old backups deleted"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("backup run")
        verbose_name_plural = _("backup runs")
        ordering: ClassVar[list[str]] = ["-started_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["succeeded", "-started_at"], name="backup_run_latest_by_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'ok' if self.succeeded else 'failed'}"
