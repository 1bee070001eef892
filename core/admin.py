"""Admin for the core's shared tables: webhook endpoints (editable), their delivery log and the outbox (read-only,
with retry and discard), the intake quarantine (retry, discard with a reason) and the backup runs (read-only)."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

import core.third_party_admin  # noqa: F401 (re-registers the libraries' admin pages, titled in the reader's language)
from core import channel_registry, quarantine, queueing, webhooks
from core.admin_mixins import ReadOnlyAdminMixin
from core.models import (
    BackupRun,
    OutboxMessage,
    QuarantinedMessage,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=_("signing secret"), widget=forms.PasswordInput(render_value=True),
                             min_length=16, max_length=200)

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "events", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = ", ".join(sorted(webhooks.REGISTERED_EVENTS)) or "—"
        self.fields["events"].help_text = _("Comma-separated; “*” for every event. Available: %(events)s") % {
            "events": known}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SimpleHistoryAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "status", "attempts",
                                         "last_status_code", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["event", "event_id"]
    list_select_related = ["endpoint"]
    readonly_fields = ["endpoint", "event_id", "event", "payload", "status", "attempts",
                                            "next_attempt_at", "last_status_code", "last_error", "created_at",
                                            "delivered_at"]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry now (failed or pending)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        # Back to pending and due now; the next sweep (or this call) attempts them afresh.
        count = queryset.exclude(status=WebhookDelivery.Status.SUCCEEDED).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
        self.message_user(request, _("%(count)s deliveries will be retried.") % {"count": count}, messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Background work waiting, running, done or given up; a person retries or discards what is stuck."""

    list_display = ["created_at", "task_name", "state", "attempts", "available_at", "lease_until", "finished_at"]
    list_filter = ["state", "task_name"]
    search_fields = ["task_name"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ("task_name", "payload", "state", "attempts", "available_at", "lease_until",
                                "created_at", "finished_at", "last_error")
    actions = ["retry_now", "discard"]

    # Rows change only through the actions below; the change page is the payload view.
    deletable = False

    @admin.display(description=_("arguments"))
    def payload(self, message: OutboxMessage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(message.kwargs, ensure_ascii=False, indent=2, sort_keys=True))

    @admin.action(description=_("Retry now (waiting, dead or discarded)"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = queueing.retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)s messages will be retried.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Discard (waiting or dead)"), permissions=["view"])
    def discard(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        reason = _("Discarded in admin by %(user)s") % {"user": request.user.get_username()}
        count = queueing.discard(message_ids=queryset.values_list("pk", flat=True), reason=str(reason))
        self.message_user(request, _("%(count)s messages discarded.") % {"count": count}, messages.SUCCESS)


class QuarantineActionForm(ActionForm):
    discard_reason = forms.CharField(label=_("Discard reason"), required=False, max_length=500)


# How much of a raw message the page shows; the whole of it stays stored.
RAW_PREVIEW_BYTES = 64 * 1024


class QuarantineChannelFilter(admin.SimpleListFilter):
    """The channel filter with each channel's name for people, not its code."""

    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status.channel, status.label) for status in quarantine.channel_status()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[QuarantinedMessage]) -> QuerySet[QuarantinedMessage]:
        return queryset.filter(channel=self.value()) if self.value() else queryset


@admin.register(QuarantinedMessage)
class QuarantinedMessageAdmin(admin.ModelAdmin):
    """Inbound messages intake could not store: supervisors read the raw bytes, retry, or discard with a reason."""

    action_form = QuarantineActionForm
    list_display = ["last_seen_at", "channel_name", "state", "reason_short", "attempts", "first_seen_at", "key"]
    list_filter = ["state", QuarantineChannelFilter]
    # The per-channel table above the list (held, last error and when): templates/admin/core/quarantinedmessage/.
    change_list_template = "admin/core/quarantinedmessage/change_list.html"
    search_fields = ["=key", "reason"]
    list_select_related = ["resolved_by"]
    fields = readonly_fields = ("channel", "key", "state", "reason", "attempts", "first_seen_at", "last_seen_at",
                                "context", "resolved_at", "resolved_by", "discard_reason", "raw_text")
    actions = ["retry_intake", "discard_held"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().changelist_view(request, {**(extra_context or {}), "channels": quarantine.channel_status()})

    @admin.display(description=_("channel"), ordering="channel")
    def channel_name(self, message: QuarantinedMessage) -> str:
        return channel_registry.label(message.channel)

    @admin.display(description=_("reason"))
    def reason_short(self, message: QuarantinedMessage) -> str:
        return message.reason[:120]

    @admin.display(description=_("raw message"))
    def raw_text(self, message: QuarantinedMessage) -> str:
        raw = bytes(message.raw)
        shown = raw[:RAW_PREVIEW_BYTES].decode("utf-8", "replace")
        if len(raw) > RAW_PREVIEW_BYTES:
            shown += "\n…"
        return format_html("<pre style=\"white-space: pre-wrap\">{}</pre>", shown)

    @admin.action(description=_("Retry intake on the stored bytes"), permissions=["change"])
    def retry_intake(self, request: HttpRequest, queryset: QuerySet[QuarantinedMessage]) -> None:
        stored, failed = 0, []
        for message_id in queryset.filter(state=QuarantinedMessage.State.HELD).values_list("pk", flat=True):
            try:
                quarantine.retry(message_id=message_id, actor=request.user)
                stored += 1
            except Exception as error:  # the row keeps the new reason; the supervisor sees it here too
                failed.append(f"#{message_id}: {quarantine.describe(error)[:200]}")
        self.message_user(request, _("%(count)s messages stored.") % {"count": stored}, messages.SUCCESS)
        if failed:
            self.message_user(request, _("Still failing: %(list)s") % {"list": "; ".join(failed)}, messages.ERROR)

    @admin.action(description=_("Discard (give the reason below)"), permissions=["change"])
    def discard_held(self, request: HttpRequest, queryset: QuerySet[QuarantinedMessage]) -> None:
        reason = request.POST.get("discard_reason", "").strip()
        if not reason:
            self.message_user(request, _("Give a reason to discard."), messages.ERROR)
            return
        count = quarantine.discard(message_ids=queryset.values_list("pk", flat=True), actor=request.user,
                                   reason=reason)
        self.message_user(request, _("%(count)s messages discarded.") % {"count": count}, messages.SUCCESS)


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every backup attempt, newest first: whether last night's backup ran, and why one failed."""

    list_display = ["started_at", "trigger", "succeeded", "file_name", "size_bytes", "pruned", "finished_at"]
    list_filter = ["succeeded", "trigger"]
    readonly_fields = ["trigger", "started_at", "finished_at", "succeeded", "file_name", "size_bytes", "pruned",
                       "error"]
