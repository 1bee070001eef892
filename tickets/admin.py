"""Admin for everything a supervisor tunes without code: teams' ticket settings, routing, SLA, calendars,
keyword rules, canned responses, desk settings; tickets read-mostly (status moves go through the workflow).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_stubs_ext import StrOrPromise

from core.admin_mixins import ReadOnlyAdminMixin
from profiles.admin import HistoryAdmin
from tickets import macro_articles
from tickets import search as ticket_search
from tickets.channels.email import admin as email_admin  # noqa: F401  (registers the e-mail channel's admin)
from tickets.models import (
    AgentRegions,
    Automation,
    AutomationRun,
    BusinessCalendar,
    BusinessHours,
    CalendarOverride,
    CallRecord,
    CannedResponse,
    Category,
    DeskSettings,
    Escalation,
    InboundMessage,
    KeywordRule,
    Macro,
    MacroAction,
    OutboundMessage,
    RoutingRule,
    SatisfactionSurvey,
    SideConversation,
    SideMessage,
    SlaPolicy,
    SocialSource,
    TeamSettings,
    Ticket,
    TicketMessage,
    Trigger,
    TriggerRun,
    WeChatAccount,
    WeChatEvent,
)
from tickets.services import automations, search_index, triggers
from tickets.services import side_conversations as side

ADMIN_SEARCH_ROWS = 1000


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class CalendarOverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(HistoryAdmin):
    list_display = ("name", "use_statutory_holidays", "is_default")
    list_filter = ("use_statutory_holidays",)
    search_fields = ("name",)
    inlines = (BusinessHoursInline, CalendarOverrideInline)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(HistoryAdmin):
    list_display = ("name", "channel", "priority", "first_response_minutes", "next_response_minutes",
                    "resolution_minutes", "calendar", "is_active")
    list_filter = ("channel", "priority", "is_active", "calendar")
    list_select_related = ("calendar",)
    search_fields = ("name",)
    autocomplete_fields = ("calendar",)


@admin.register(TeamSettings)
class TeamSettingsAdmin(HistoryAdmin):
    list_display = ("team", "strategy", "escalation_team", "supervisor")
    list_filter = ("strategy",)
    list_select_related = ("team", "escalation_team", "supervisor")
    search_fields = ("team__name",)
    autocomplete_fields = ("team", "escalation_team", "supervisor")


@admin.register(AgentRegions)
class AgentRegionsAdmin(HistoryAdmin):
    list_display = ("agent", "regions")
    list_select_related = ("agent",)
    search_fields = ("agent__username", "agent__display_name")
    autocomplete_fields = ("agent",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(HistoryAdmin):
    list_display = ("name", "position", "team", "set_priority", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "team")
    list_select_related = ("team",)
    search_fields = ("name",)
    autocomplete_fields = ("team", "categories", "required_skills")


@admin.register(KeywordRule)
class KeywordRuleAdmin(HistoryAdmin):
    list_display = ("name", "position", "keywords", "set_type", "set_category", "set_priority", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "set_type")
    list_select_related = ("set_category",)
    search_fields = ("name",)
    autocomplete_fields = ("set_category",)


@admin.register(CannedResponse)
class CannedResponseAdmin(HistoryAdmin):
    list_display = ("title", "shortcut", "language", "owner", "category")
    list_filter = ("language", ("owner", admin.EmptyFieldListFilter), "category")
    list_select_related = ("owner", "category")
    search_fields = ("title", "shortcut")
    autocomplete_fields = ("owner", "category")


class MacroActionFormSet(forms.BaseInlineFormSet):
    """An article link goes out with a reply, so a macro that links one needs a reply step; the article must
    be published."""

    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        kinds = {form.cleaned_data.get("kind") for form in kept}
        if MacroAction.Kind.ARTICLE in kinds and MacroAction.Kind.REPLY not in kinds:
            raise forms.ValidationError(_("An article link goes out with a reply: add a reply step."))
        language = self.instance.language if self.instance else ""
        for form in kept:
            article_id = form.cleaned_data.get("article_id")
            if (form.cleaned_data.get("kind") == MacroAction.Kind.ARTICLE and article_id
                    and article_id not in macro_articles.resolve([article_id], language)):
                form.add_error("article_id", _("No published article has this id."))


class MacroActionInline(admin.StackedInline):
    model = MacroAction
    formset = MacroActionFormSet
    extra = 1
    fields = ("position", "kind", "text", "status", "priority", "ticket_type", "category", "tags", "team", "agent",
              "article_id")
    autocomplete_fields = ("category", "team", "agent")


@admin.register(Macro)
class MacroAdmin(HistoryAdmin):
    list_display = ("title", "language", "owner", "team", "active", "usage_count", "last_used_at")
    list_filter = ("active", "language", ("owner", admin.EmptyFieldListFilter), "team")
    list_select_related = ("owner", "team")
    search_fields = ("title", "description")
    autocomplete_fields = ("owner", "team")
    readonly_fields = ("usage_count", "last_used_at")
    inlines = (MacroActionInline,)
    ordering = ("-usage_count", "title")


def _dry_run_summary(message: StrOrPromise, rows: list[Ticket], count: int) -> str:
    """A rule's dry run in its admin: how many tickets (capped where the selector stops counting) and which."""
    numbers = ", ".join(ticket.number for ticket in rows)
    return str(message % {"count": "1,000+" if count > 1000 else count, "numbers": numbers or "-"})


@admin.register(Automation)
class AutomationAdmin(HistoryAdmin):
    list_display = ("name", "active", "position", "anchor", "hours", "macro", "max_per_run")
    list_filter = ("active", "anchor")
    list_select_related = ("macro",)
    search_fields = ("name",)
    autocomplete_fields = ("team", "macro")
    readonly_fields = ("matching_now",)

    @admin.display(description=_("Would change now (dry run)"))
    def matching_now(self, automation: Automation) -> str:
        if automation.pk is None:
            return "-"
        return _dry_run_summary(_("%(count)s ticket(s) match before the business-hours check: %(numbers)s"),
                                *automations.matching_now(automation))


@admin.register(Trigger)
class TriggerAdmin(HistoryAdmin):
    list_display = ("name", "active", "position", "event", "macro")
    list_filter = ("active", "event")
    list_select_related = ("macro",)
    search_fields = ("name",)
    autocomplete_fields = ("team", "macro")
    readonly_fields = ("matching_now",)

    @admin.display(description=_("Conditions match now (dry run)"))
    def matching_now(self, trigger: Trigger) -> str:
        if trigger.pk is None:
            return "-"
        return _dry_run_summary(_("%(count)s ticket(s) meet the conditions now; the latest: %(numbers)s"),
                                *triggers.matching_now(trigger))


@admin.register(TriggerRun)
class TriggerRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("trigger", "ticket", "chain", "ran_at", "error")
    list_filter = ("trigger",)
    list_select_related = ("trigger", "ticket")
    search_fields = ("ticket__number",)


@admin.register(AutomationRun)
class AutomationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("automation", "ticket", "anchor_at", "ran_at", "error")
    list_filter = ("automation",)
    list_select_related = ("automation", "ticket")
    search_fields = ("ticket__number",)


@admin.register(DeskSettings)
class DeskSettingsAdmin(HistoryAdmin):
    list_display = ("__str__", "nudge_threshold", "nudge_window_minutes", "reopen_window_days",
                    "sla_warning_percent")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row only (pk=1), created on first use.
        return super().has_add_permission(request) and not DeskSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    extra = 0
    fields = ("created_at", "kind", "author", "body")
    readonly_fields = fields
    ordering = ("id",)
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketMessage]:
        return super().get_queryset(request).select_related("author")


@admin.register(Ticket)
class TicketAdmin(HistoryAdmin):
    list_display = ("number", "subject", "status", "priority", "channel", "type", "team", "assignee", "due_at",
                    "escalation_level", "created_at")
    list_filter = ("status", "priority", "channel", "type", "team", "escalation_level")
    list_select_related = ("team", "assignee")
    # Searched through the ticket search index (get_search_results), never a substring scan of the table.
    search_fields = ("number",)
    search_help_text = _("Ticket number (or its beginning), subject, messages and notes, customer name, order "
                         "number, tag; an exact phone number or e-mail address.")
    autocomplete_fields = ("customer", "assignee", "team", "category", "parent", "merged_into", "linked")
    readonly_fields = ("number", "status", "sla_policy", "first_response_due_at", "next_response_due_at",
                       "resolution_due_at", "first_responded_at", "solved_at", "closed_at", "sla_paused_at",
                       "sla_paused_seconds", "nudge_count", "last_nudged_at", "escalation_level", "created_at")
    inlines = (TicketMessageInline,)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets are born through ticket_create (numbering, routing, SLA), never by a bare admin form.
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
                           ) -> tuple[QuerySet[Ticket], bool]:
        if not search_term.strip():
            return queryset, False
        # The admin pages by OFFSET: its search shows the newest ADMIN_SEARCH_ROWS matches.
        return ticket_search.search(queryset, ticket_search.parse(search_term), user=request.user,
                                    include_notes=True, limit=ADMIN_SEARCH_ROWS), False

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Subject, tags, customer and order number are what the search document's head is made of.
        search_index.refresh_heads([obj.pk])


class SideMessageInline(admin.TabularInline):
    model = SideMessage
    extra = 0
    fields = ("created_at", "direction", "author", "sender", "body", "sent_at")
    readonly_fields = fields
    ordering = ("id",)
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # what was mailed stays as it was

    def get_queryset(self, request: HttpRequest) -> QuerySet[SideMessage]:
        return super().get_queryset(request).select_related("author")


@admin.register(SideConversation)
class SideConversationAdmin(HistoryAdmin):
    """Side conversations across tickets, latest activity first. A supervisor may fix a subject, close or reopen
    (through the service, so who and when are kept); the mails themselves are read-only."""

    list_display = ("ticket", "subject", "counterpart", "status", "updated_at", "created_by")
    list_filter = ("status",)
    list_select_related = ("ticket", "created_by")
    search_fields = ("=ticket__number", "=counterpart")
    search_help_text = _("The exact ticket number or counterpart e-mail address.")
    ordering = ("-updated_at",)
    fields = ("ticket", "subject", "counterpart", "status", "closed_by", "closed_at", "created_by", "created_at",
              "updated_at")
    readonly_fields = ("ticket", "counterpart", "status", "closed_by", "closed_at", "created_by", "created_at",
                       "updated_at")
    inlines = (SideMessageInline,)
    actions = ("close_selected", "reopen_selected")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started from a ticket, where the first mail goes out

    @admin.action(description=_("Close the selected side conversations"), permissions=["change"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet[SideConversation]) -> None:
        done = sum(side.side_conversation_close(conversation=conversation, actor=request.user)  # type: ignore[arg-type]
                   for conversation in queryset.select_related("ticket"))
        self.message_user(request, ngettext("%(count)d side conversation closed.",
                                            "%(count)d side conversations closed.", done) % {"count": done},
                          messages.SUCCESS)

    @admin.action(description=_("Reopen the selected side conversations"), permissions=["change"])
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet[SideConversation]) -> None:
        done = sum(side.side_conversation_reopen(conversation=conversation, actor=request.user)  # type: ignore[arg-type]
                   for conversation in queryset.select_related("ticket"))
        self.message_user(request, ngettext("%(count)d side conversation reopened.",
                                            "%(count)d side conversations reopened.", done) % {"count": done},
                          messages.SUCCESS)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("ticket", "level", "reason", "to_team", "to_user", "actor", "created_at")
    list_filter = ("reason", "level")
    list_select_related = ("ticket", "to_team", "to_user", "actor")
    search_fields = ("=ticket__number",)


@admin.register(SatisfactionSurvey)


class SatisfactionSurveyAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("ticket", "attitude", "speed", "result", "sent_at", "submitted_at")
    list_filter = ("attitude", "speed", "result")
    list_select_related = ("ticket",)
    search_fields = ("=ticket__number",)


@admin.register(WeChatAccount)


class WeChatAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "app_id", "server_url", "is_active")

    @admin.display(description=_("server URL (set it on the WeChat platform)"))
    def server_url(self, account: WeChatAccount) -> str:
        return f"/api/v1/channels/wechat/{account.app_id}/"


@admin.register(WeChatEvent)
class WeChatEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Follows, menu clicks, scans and reported locations, as WeChat sent them: a record, never edited."""

    list_display = ("received_at", "event", "event_key", "openid", "account")
    list_filter = ("event", "account")
    search_fields = ("=openid", "event_key")
    date_hierarchy = "received_at"


@admin.register(SocialSource)
class SocialSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "channel", "webhook_url", "is_active")
    list_filter = ("channel", "is_active")

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, source: SocialSource) -> str:
        return f"/api/v1/channels/social/{source.slug}/"


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("call_id", "ticket", "direction", "agent", "started_at", "ended_at")
    list_filter = ("direction",)
    list_select_related = ("ticket", "agent")
    search_fields = ("=call_id", "=ticket__number")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("channel", "account", "external_id", "message", "received_at")
    list_filter = ("channel",)
    search_fields = ("=external_id",)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("message", "channel", "status", "attempts", "next_attempt_at", "sent_at", "error")
    list_filter = ("channel", "status")
