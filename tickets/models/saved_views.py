"""Saved views: a queue view with its filters, or a search, kept under a name in the desk's sidebar."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Team


class SavedView(models.Model):
    """Personal, or shared with one of the owner's teams (`team`); the owner orders their own by `position`."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views",
                              verbose_name=_("owner"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views",
                             verbose_name=_("shared with team"))
    name = models.CharField(_("name"), max_length=60)
    # A queue view (mine, team, ...) with its filters, or search terms (then the view is not used).
    queue_view = models.CharField(_("queue view"), max_length=12, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    terms = models.CharField(_("search terms"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering: ClassVar[list[str]] = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name
