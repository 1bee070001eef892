"""Admin for the core's shared tables: webhook endpoints (editable), their delivery log and the backup runs
(read-only)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from service_center.core import webhooks
from service_center.core.models import BackupRun, WebhookDelivery, WebhookEndpoint


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


@admin.register(BackupRun)
class BackupRunAdmin(admin.ModelAdmin):
    """Every backup attempt, newest first: whether last night's backup ran, and why one failed."""

    list_display = ["started_at", "trigger", "succeeded", "file_name", "size_bytes", "pruned", "finished_at"]
    list_filter = ["succeeded", "trigger"]
    readonly_fields = ["trigger", "started_at", "finished_at", "succeeded", "file_name", "size_bytes", "pruned",
                       "error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
