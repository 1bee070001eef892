from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from profiles.roles import Role

# QA and supervisors keep the scorecards in admin and sample, score and answer appeals on /reports/quality/.
_QUALITY = [
    *[f"{action}_{model}" for model in ("scorecard", "criterion") for action in ("view", "add", "change")],
    "view_review", "score_review",
]


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Quality assurance")
    role_permissions = {Role.QA: _QUALITY, Role.SUPERVISOR: _QUALITY}

    def seed_demo(self, stdout: Any) -> None:
        from quality import demo

        demo.seed(stdout)
