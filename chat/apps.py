from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles.roles import Role


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Live chat")
    # Supervisors set the chat limits and read every conversation; QA reads them to score.
    role_permissions = {
        Role.QA: ["view_conversation", "view_chatmessage"],
        Role.SUPERVISOR: ["view_conversation", "view_chatmessage", "view_chatsettings", "change_chatsettings"],
    }

    def ready(self) -> None:
        from chat import realtime  # noqa: F401  (subscribes the live chat broadcasts)
        from chat.article_links import linked_articles
        from chat.customer_merge import HANDLER
        from chat.timeline import chat_entries
        from core import customer_merge, customer_timeline
        from tickets import macro_articles

        customer_timeline.register(chat_entries)
        customer_merge.register(HANDLER)
        macro_articles.register(linked_articles)

    def seed_demo(self, stdout: Any) -> None:
        from chat.demo_data import seed

        stdout.write(f"Chat: {seed()} new demo conversation(s).")
