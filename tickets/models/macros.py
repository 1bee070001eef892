"""Macros: an ordered list of ticket actions an agent applies in one click (Zendesk's macros)."""

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from profiles.models import Team
from tickets.models.choices import Priority, Status, TicketType
from tickets.models.config import CannedResponse, Category


class Macro(models.Model):
    """Shared when it has no owner; personal otherwise. `team` narrows a shared macro to one team's agents."""

    title = models.CharField(_("title"), max_length=80)
    description = models.CharField(_("description"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=CannedResponse.Language.choices,
                                default=CannedResponse.Language.ZH)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="macros", verbose_name=_("owner (empty: shared)"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="macros",
                             verbose_name=_("team (empty: every team)"))
    active = models.BooleanField(_("active"), default=True)
    usage_count = models.PositiveIntegerField(_("times applied"), default=0, editable=False)
    last_used_at = models.DateTimeField(_("last applied"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["usage_count", "last_used_at"])

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering: ClassVar[list[str]] = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class MacroAction(models.Model):
    """One step of a macro. Which value field is used depends on `kind` (checked in `clean`)."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to the customer")
        NOTE = "note", _("Add an internal note")
        STATUS = "status", _("Set status")
        PRIORITY = "priority", _("Set priority")
        TYPE = "type", _("Set type")
        CATEGORY = "category", _("Set category")
        ADD_TAGS = "add_tags", _("Add tags")
        REMOVE_TAGS = "remove_tags", _("Remove tags")
        TEAM = "team", _("Transfer to team")
        AGENT = "agent", _("Assign to agent")
        ARTICLE = "article", _("Link a knowledge article")

    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="actions", verbose_name=_("macro"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("action"), max_length=12, choices=Kind.choices)
    # Reply / note text with the canned-response variables ({{ customer.name }}, {{ ticket.number }} ...).
    text = models.TextField(_("text"), blank=True, max_length=20000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    ticket_type = models.CharField(_("type"), max_length=12, choices=TicketType.choices, blank=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    tags = ArrayField(models.CharField(max_length=30), verbose_name=_("tags"), default=list, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    # Knowledge sits above tickets, so the article is referenced by its id and resolved through
    # tickets.macro_articles, which the knowledge app fills at start-up.
    article_id = models.PositiveIntegerField(_("knowledge article id"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("macro action")
        verbose_name_plural = _("macro actions")
        ordering: ClassVar[list[str]] = ["position", "pk"]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    REQUIRED: ClassVar[dict[str, str]] = {
        Kind.REPLY: "text", Kind.NOTE: "text", Kind.STATUS: "status", Kind.PRIORITY: "priority",
        Kind.TYPE: "ticket_type", Kind.CATEGORY: "category", Kind.ADD_TAGS: "tags", Kind.REMOVE_TAGS: "tags",
        Kind.TEAM: "team", Kind.AGENT: "agent", Kind.ARTICLE: "article_id",
    }

    def clean(self) -> None:
        field = self.REQUIRED.get(self.kind)
        if field is None:
            return
        value = getattr(self, f"{field}_id", None) if field in ("category", "team", "agent") else getattr(self, field)
        if value in (None, "", []):
            raise ValidationError({field: _("This action needs a value here.")})
        if field == "text" and not str(value).strip():
            raise ValidationError({field: _("This action needs a value here.")})
