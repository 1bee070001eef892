"""Automations: time-based rules the SLA sweep's beat runs (remind, auto-close, escalate)."""

from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from simple_history.models import HistoricalRecords

from profiles.models import Team
from tickets.models.choices import Channel, Priority, Status
from tickets.models.macros import Macro
from tickets.models.tickets import Ticket


class Automation(models.Model):
    """When a ticket in one of `statuses` has spent `hours` since its `anchor` (and matches the rest), apply
    `macro` to it. Once per ticket per window: a new window starts when the anchor time moves."""

    class Anchor(models.TextChoices):
        CREATED = "created_at", _("created")
        UPDATED = "updated_at", _("last updated")
        PAUSED = "sla_paused_at", _("pending or on hold since")
        SOLVED = "solved_at", _("time solved")

    name = models.CharField(_("name"), max_length=80)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    statuses = ArrayField(models.CharField(max_length=10, choices=Status.choices), verbose_name=_("statuses"))
    anchor = models.CharField(_("hours since"), max_length=16, choices=Anchor.choices)
    hours = models.PositiveIntegerField(_("hours"))
    business_hours = models.BooleanField(_("count business hours only"), default=False)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    tag = models.CharField(_("tag"), max_length=30, blank=True)
    vip_only = models.BooleanField(_("VIP customers only"), default=False)
    untouched = models.BooleanField(_("no reply from the desk yet"), default=False)
    macro = models.ForeignKey(Macro, on_delete=models.PROTECT, related_name="automations",
                              verbose_name=_("actions (a shared macro)"))
    notify_team = models.BooleanField(_("notify the ticket's team"), default=False)
    max_per_run = models.PositiveIntegerField(_("at most per run"), default=200)
    confirmed_broad = models.BooleanField(
        _("I know this rule matches every ticket in these statuses"), default=False,
        help_text=_("A rule with no condition beyond status and time must be confirmed."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        ordering: ClassVar[list[str]] = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_broad(self) -> bool:
        return not (self.priority or self.channel or self.team_id or self.tag or self.vip_only or self.untouched)

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if not self.statuses:
            errors["statuses"] = _("Choose at least one status.")
        if self.hours is not None and self.hours < 1:
            errors["hours"] = _("At least one hour.")
        if self.is_broad and not self.confirmed_broad:
            errors["confirmed_broad"] = _("This rule matches every ticket in these statuses: confirm it, or add a "
                                          "condition.")
        if self.macro_id and self.macro.owner_id is not None:
            errors["macro"] = _("Use a shared macro (one without an owner).")
        if errors:
            raise ValidationError(errors)


class AutomationRun(models.Model):
    """One firing of a rule on a ticket in one window (`anchor_at`); unique, so a rule fires once per window."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs",
                                   verbose_name=_("automation"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="automation_runs",
                               verbose_name=_("ticket"))
    anchor_at = models.DateTimeField(verbose_name=_("anchor time"))
    ran_at = models.DateTimeField(auto_now_add=True, verbose_name=_("ran at"))
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        constraints = [models.UniqueConstraint(fields=["automation", "ticket", "anchor_at"],
                                               name="automation_once_per_window")]

    def __str__(self) -> str:
        return f"{self.automation_id}/{self.ticket_id}"
