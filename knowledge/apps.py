from typing import TextIO

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from knowledge import subscribers

        subscribers.subscribe()

    def seed_demo(self, stdout: TextIO) -> None:
        from knowledge.seed import seed_knowledge

        seed_knowledge(stdout)
