"""Admin for QA scorecards and their criteria; reviews are read here and worked on /reports/quality/."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from profiles.admin import HistoryAdmin
from quality.models import Criterion, Review, Scorecard


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ("position", "label", "weight", "max_points", "critical")


@admin.register(Scorecard)
class ScorecardAdmin(HistoryAdmin):
    list_display = ("name", "active", "created_at")
    list_filter = ("active",)
    inlines = (CriterionInline,)


@admin.register(Review)
class ReviewAdmin(HistoryAdmin):
    list_display = ("__str__", "agent", "sample_reason", "status", "score", "scored_at")
    list_filter = ("status", "sample_reason", "scorecard")
    list_select_related = ("agent",)
    readonly_fields = [field.name for field in Review._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Scores move only through the QA pages, where the workflow and its checks run.
        return False
