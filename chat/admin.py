from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from chat.models import ChatMessage, ChatSettings, ChatTeamSettings, Conversation
from core.admin_mixins import ReadOnlyAdminMixin


@admin.register(ChatSettings)
class ChatSettingsAdmin(SimpleHistoryAdmin):
    """One row: the list page goes straight to it."""

    list_display = ("edit_window_seconds", "recall_window_seconds", "edit_limit")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        settings_row = ChatSettings.load()
        return HttpResponseRedirect(reverse("admin:chat_chatsettings_change", args=[settings_row.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChatTeamSettings)
class ChatTeamSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("team", "strategy")
    list_filter = ("strategy",)
    autocomplete_fields = ("team",)


@admin.register(Conversation)
class ConversationAdmin(SimpleHistoryAdmin):
    list_display = ("id", "customer", "agent", "status", "channel", "last_seq", "rating", "started_at")
    list_filter = ("status", "channel", "rating")
    list_select_related = ("customer", "agent")
    raw_id_fields = ("customer", "agent")
    # Conversations change through the chat itself (workflow), not by hand.
    readonly_fields = ("status", "last_seq", "bot_misses", "handoff_reason", "waiting_since", "assigned_at",
                       "ended_at", "rating", "rating_comment")
    show_full_result_count = False


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("conversation", "seq", "sender", "author", "kind", "created_at", "edit_count", "recalled_at")
    list_filter = ("sender", "kind")
    list_select_related = ("conversation", "author")
    raw_id_fields = ("conversation", "author", "attachment")
    show_full_result_count = False
