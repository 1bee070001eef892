"""Admin for the e-mail channel: mailboxes (supervisors) and the record of every mail in and out (read-only,
but for the supervisor's release or rejection of mail held by the per-sender limit)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.masking import mask_email
from profiles.admin import HistoryAdmin
from tickets.channels.email import intake
from tickets.models import EmailMessage, Mailbox


class MailboxForm(forms.ModelForm):
    # Never rendered back into the page; left empty on a change, the stored password is kept.
    imap_password = forms.CharField(label=_("IMAP password"), required=False,
                                    widget=forms.PasswordInput(render_value=False),
                                    help_text=_("Stored encrypted. Leave empty to keep the current password."))

    class Meta:
        model = Mailbox
        fields = ["address", "team", "is_active", "imap_host", "imap_port", "imap_ssl", "imap_user",
                  "imap_password", "imap_folder"]

    def clean_imap_password(self) -> str:
        password: str = self.cleaned_data.get("imap_password") or ""
        return password or (self.instance.imap_password if self.instance.pk else "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("imap_host") and not (cleaned.get("imap_user") and cleaned.get("imap_password")):
            self.add_error("imap_user", _("Polling over IMAP needs a user and a password."))
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(HistoryAdmin):
    form = MailboxForm
    list_display = ("address", "team", "imap_host", "is_active", "last_polled_at", "last_poll_error", "last_error_at",
                    "quarantined_count")
    list_filter = ("is_active",)
    list_select_related = ("team",)
    search_fields = ("address",)
    readonly_fields = ("last_polled_at", "last_poll_error", "last_error_at", "quarantined_count")


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "direction", "outcome", "subject", "correspondent", "ticket", "bounced_at")
    list_filter = ("direction", "outcome", "mailbox")
    list_select_related = ("ticket",)
    search_fields = ("message_id", "subject")
    fields = ("direction", "outcome", "message_id", "mailbox", "ticket", "correspondent", "subject", "in_reply_to",
              "references", "detail", "bounced_at", "bounce_of", "created_at", "sent_at")
    readonly_fields = fields
    raw_id_fields = ("ticket", "bounce_of")
    actions = ("release_held", "reject_held")

    @admin.action(description=_("Release the selected held mails to tickets"), permissions=["release"])
    def release_held(self, request: HttpRequest, queryset: QuerySet[EmailMessage]) -> None:
        released = [intake.email_release_held(email_id=pk, actor=request.user)  # type: ignore[arg-type]
                    for pk in queryset.values_list("pk", flat=True)]
        self._report(request, done=sum(email is not None for email in released), selected=len(released),
                     done_text=gettext("%(count)d held mail(s) released."))

    @admin.action(description=_("Reject the selected held mails"), permissions=["release"])
    def reject_held(self, request: HttpRequest, queryset: QuerySet[EmailMessage]) -> None:
        rejected = [intake.email_reject_held(email_id=pk, actor=request.user)  # type: ignore[arg-type]
                    for pk in queryset.values_list("pk", flat=True)]
        self._report(request, done=sum(rejected), selected=len(rejected),
                     done_text=gettext("%(count)d held mail(s) rejected."))

    def _report(self, request: HttpRequest, *, done: int, selected: int, done_text: str) -> None:
        self.message_user(request, done_text % {"count": done}, messages.SUCCESS)
        if selected > done:
            self.message_user(request, _("%(count)d selected mail(s) were not held and were left alone.") % {
                "count": selected - done}, messages.WARNING)

    def has_release_permission(self, request: HttpRequest) -> bool:
        # The record stays read-only; releasing or rejecting held mail is the one change allowed.
        return request.user.has_perm("tickets.change_emailmessage")

    @admin.display(description=_("from / to"))
    def correspondent(self, email: EmailMessage) -> str:
        # Always masked here: the customer is identified through the ticket, where PII rules apply.
        return mask_email(email.counterpart)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
