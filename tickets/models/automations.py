"""Automations: time-based rules the SLA sweep's beat runs (remind, auto-close, escalate); triggers: the same
conditions and actions, run when something happens to a ticket."""

from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.history import HistoricalRecords
from profiles.models import Team
from tickets.models.choices import Channel, Priority, Status
from tickets.models.macros import Macro
from tickets.models.tickets import Ticket


class RuleConditions(models.Model):
    """What automations and triggers share: the conditions that narrow a ticket set as the queue's filters do,
    and the actions (a shared macro, and a notice to the ticket's team)."""

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    tag = models.CharField(_("tag"), max_length=30, blank=True)
    vip_only = models.BooleanField(_("VIP customers only"), default=False)
    untouched = models.BooleanField(_("no reply from the desk yet"), default=False)
    macro = models.ForeignKey(Macro, on_delete=models.PROTECT, related_name="%(class)ss",
                              verbose_name=_("actions (a shared macro)"))
    notify_team = models.BooleanField(_("notify the ticket's team"), default=False)

    class Meta:
        abstract = True

    @property
    def is_broad(self) -> bool:
        return not (self.priority or self.channel or self.team_id or self.tag or self.vip_only or self.untouched)

    def clean_actions(self, errors: dict[str, StrOrPromise]) -> None:
        if self.macro_id and self.macro.owner_id is not None:
            errors["macro"] = _("Use a shared macro (one without an owner).")


class Automation(RuleConditions):
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

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if not self.statuses:
            errors["statuses"] = _("Choose at least one status.")
        if self.hours is not None and self.hours < 1:
            errors["hours"] = _("At least one hour.")
        if self.is_broad and not self.confirmed_broad:
            errors["confirmed_broad"] = _("This rule matches every ticket in these statuses: confirm it, or add a "
                                          "condition.")
        self.clean_actions(errors)
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


class Trigger(RuleConditions):
    """When `event` happens to a ticket that matches the conditions, apply `macro` to it (after the commit,
    through the task path, as the automation account)."""

    class Event(models.TextChoices):
        CREATED = "ticket.created", _("ticket created")
        CUSTOMER_REPLIED = "ticket.customer_replied", _("customer replied")
        STATUS_CHANGED = "ticket.status_changed", _("status changed")
        SURVEY_RECEIVED = "ticket.survey_submitted", _("survey received")
        AFTERSALES_CHANGED = "aftersales.request_changed", _("after-sales request state changed")

    name = models.CharField(_("name"), max_length=80)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    event = models.CharField(_("when"), max_length=32, choices=Event.choices)
    statuses = ArrayField(models.CharField(max_length=10, choices=Status.choices), blank=True, default=list,
                          verbose_name=_("statuses"), help_text=_("The ticket's status after the event; none: any."))
    confirmed_broad = models.BooleanField(
        _("I know this trigger fires on every such event"), default=False,
        help_text=_("A trigger with no condition must be confirmed."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        ordering: ClassVar[list[str]] = ["position", "pk"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["event", "active"], name="trigger_event")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.is_broad and not self.statuses and not self.confirmed_broad:
            errors["confirmed_broad"] = _("This trigger fires on every such event: confirm it, or add a condition.")
        self.clean_actions(errors)
        if errors:
            raise ValidationError(errors)


class TriggerRun(models.Model):
    """One firing of a trigger on one event (`event_id`, unique per trigger, so a redelivered task fires
    nothing twice); `chain` is how many triggers led to this event, `error` why it changed nothing."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="runs", verbose_name=_("trigger"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="trigger_runs",
                               verbose_name=_("ticket"))
    event_id = models.UUIDField(verbose_name=_("event"))
    chain = models.PositiveSmallIntegerField(default=0, verbose_name=_("chain length"))
    ran_at = models.DateTimeField(auto_now_add=True, verbose_name=_("ran at"))
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("trigger run")
        verbose_name_plural = _("trigger runs")
        constraints = [models.UniqueConstraint(fields=["trigger", "event_id"], name="trigger_once_per_event")]

    def __str__(self) -> str:
        return f"{self.trigger_id}/{self.ticket_id}"
