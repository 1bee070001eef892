from typing import TextIO

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles.roles import Role


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")
    # Supervisors run the knowledge base (edit, review, publish); everyone at the desk reads it.
    role_permissions = {
        Role.AGENT: ["view_article", "view_category"],
        Role.QA: ["view_article", "view_category", "view_articlefeedback", "view_unansweredquestion"],
        Role.SUPERVISOR: [
            *[f"{action}_{model}" for model in ("article", "category", "synonym")
              for action in ("view", "add", "change")],
            "review_article", "view_reviewtask", "change_reviewtask", "view_articlefeedback",
            "view_unansweredquestion", "change_unansweredquestion", "view_articleversion",
        ],
    }

    def ready(self) -> None:
        from core import customer_merge
        from knowledge import subscribers
        from knowledge.customer_merge import HANDLER

        subscribers.subscribe()
        customer_merge.register(HANDLER)

    def seed_demo(self, stdout: TextIO) -> None:
        from knowledge.seed import seed_knowledge

        seed_knowledge(stdout)
