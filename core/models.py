"""The few tables shared by every app. Core imports no domain app, so users are referenced by setting."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.history import HistoricalRecords


class IdempotencyRecord(models.Model):
    """The response to one `Idempotency-Key`, replayed when the same caller retries the same request.

    The row is inserted before the handler runs, in the handler's transaction: a concurrent retry
    blocks on the unique constraint until the first attempt commits or rolls back.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
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
    url = models.URLField(_("webhook URL"), max_length=500)
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
        COMMAND = "command", _("command line")

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


class OutboxMessage(models.Model):
    """One task to run, written in the transaction that decided it (core/queueing.py).

    The row, not the broker, is the source of truth: a relay hands it to Celery after commit, a beat
    sweep re-sends what was never sent or whose worker vanished, and the task wrapper claims the row so
    a message the broker delivers twice runs once.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent to a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        DEAD = "dead", _("Gave up")
        DISCARDED = "discarded", _("Discarded")

    task_name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    # Runs started; a row that has started this many runs without finishing one is dead.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    available_at = models.DateTimeField(_("available at"))
    # While sent or running: when the sweep may assume the worker lost it and send it again.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes = [
            # The sweep's two questions: what is due to send, and whose lease has run out.
            models.Index(fields=["available_at"], condition=models.Q(state="pending"), name="outbox_due"),
            models.Index(fields=["lease_until"], condition=models.Q(state__in=["sent", "running"]),
                         name="outbox_leased"),
            models.Index(fields=["state", "finished_at"], name="outbox_state_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


class QuarantinedMessage(models.Model):
    """An inbound message of any channel that intake could not store, kept raw with the reason.

    One row per channel and dedupe key (Message-ID, WeChat MsgId, or a hash of the bytes): the same
    poison mail polled again only bumps `last_seen_at` and `attempts`. A supervisor retries it (the
    channel's intake runs again on the stored bytes, see core/quarantine.py) or
    discards it with a reason.
    """

    class State(models.TextChoices):
        HELD = "held", _("Held")
        RETRIED = "retried", _("Retried and stored")
        DISCARDED = "discarded", _("Discarded")

    channel = models.CharField(_("channel"), max_length=30)
    key = models.CharField(_("dedupe key"), max_length=255)
    raw = models.BinaryField(_("raw message"))
    # Where it came from, as the channel's intake needs it again on retry (mailbox id, account, source).
    context = models.JSONField(_("context"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.HELD)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    discard_reason = models.TextField(_("discard reason"), blank=True)
    # This row reached the alert threshold of its window and queued the supervisors' e-mail
    # (core/quarantine_alerts.py): the record that the window has had its alert.
    alerted = models.BooleanField(_("alerted supervisors"), default=False, editable=False)

    class Meta:
        verbose_name = _("quarantined message")
        verbose_name_plural = _("quarantined messages")
        ordering: ClassVar[list[str]] = ["-last_seen_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="quarantine_once_per_key")]
        indexes = [models.Index(fields=["state", "channel"], name="quarantine_state_channel")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.key}"
