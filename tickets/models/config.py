"""Rules supervisors edit in admin: categories, team settings, routing, SLA, calendars, keywords, canned text."""

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from profiles.models import Skill, Team
from tickets.models.choices import Channel, Priority, TicketType


class Category(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """Weekly opening hours plus China's statutory holidays / 调休 and explicit date overrides."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    use_statutory_holidays = models.BooleanField(
        _("follow China's statutory holidays and make-up workdays"), default=True
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="calendar_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering: ClassVar[list[str]] = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens_at__lt=models.F("closes_at")),
                                   name="hours_open_before_close"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class CalendarOverride(models.Model):
    """One date that differs from the rule: closed (company event) or open with its own hours."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="overrides",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    is_open = models.BooleanField(_("open"), default=False)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering: ClassVar[list[str]] = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="override_unique_date"),
            models.CheckConstraint(
                condition=models.Q(is_open=False)
                | models.Q(opens_at__isnull=False, closes_at__isnull=False, opens_at__lt=models.F("closes_at")),
                name="override_open_needs_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.calendar}: {self.date}"


class SlaPolicy(models.Model):
    """Targets in business minutes for one channel and priority; an empty channel matches any channel."""

    name = models.CharField(_("name"), max_length=80)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    next_response_minutes = models.PositiveIntegerField(_("next response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies",
                                 verbose_name=_("calendar"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering: ClassVar[list[str]] = ["channel", "priority"]
        constraints = [models.UniqueConstraint(fields=["channel", "priority"], name="sla_unique_channel_priority")]

    def __str__(self) -> str:
        return self.name


class TeamSettings(models.Model):
    """How tickets are handed out inside a team, and where they go when escalated."""

    class Strategy(models.TextChoices):
        SKILL_LOAD = "skill_load", _("Skill match, then least load")
        ROUND_ROBIN = "round_robin", _("Round robin")
        REGION = "region", _("Region affinity")
        MANUAL = "manual", _("Manual (agents pick from the queue)")

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="ticket_settings", verbose_name=_("team"))
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.SKILL_LOAD)
    escalation_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("escalation team")
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("supervisor"),
    )
    # The round-robin pointer: the agent who got the previous ticket. Moved on every routed ticket, so it has no
    # index: unindexed, the move is a HOT update that reuses its page instead of adding a row version and an
    # index entry per ticket.
    last_assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("last assigned agent"), db_index=False,
    )
    history = HistoricalRecords(excluded_fields=["last_assigned_agent"])

    class Meta:
        verbose_name = _("team ticket settings")
        verbose_name_plural = _("team ticket settings")

    def __str__(self) -> str:
        return str(self.team)


class AgentRegions(models.Model):
    """Provinces an agent knows best (dialect, local logistics); used by region-affinity routing."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_regions",
                                 verbose_name=_("agent"))
    regions = ArrayField(models.CharField(max_length=20), verbose_name=_("regions"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agent regions")
        verbose_name_plural = _("agent regions")

    def __str__(self) -> str:
        return f"{self.agent}: {', '.join(self.regions)}"


class RoutingRule(models.Model):
    """First matching active rule (by position) decides team, required skills and priority.

    Empty match lists mean "any".
    """

    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    channels = ArrayField(models.CharField(max_length=10, choices=Channel.choices), verbose_name=_("channels"),
                          default=list, blank=True)
    types = ArrayField(models.CharField(max_length=12, choices=TicketType.choices), verbose_name=_("types"),
                       default=list, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("categories"))
    customer_tags = ArrayField(models.CharField(max_length=30), verbose_name=_("customer segment tags"),
                               default=list, blank=True)
    regions = ArrayField(models.CharField(max_length=20), verbose_name=_("regions"), default=list, blank=True)
    min_vip_level = models.PositiveSmallIntegerField(_("minimum VIP level"), null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    required_skills = models.ManyToManyField(Skill, blank=True, related_name="+", verbose_name=_("required skills"))
    set_priority = models.CharField(_("set priority"), max_length=10, choices=Priority.choices, blank=True)
    history = HistoricalRecords(m2m_fields=[categories, required_skills])

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering: ClassVar[list[str]] = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class KeywordRule(models.Model):
    """Sets type / category / priority when any keyword appears in the subject or first message."""

    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    keywords = ArrayField(models.CharField(max_length=30), verbose_name=_("keywords"))
    set_type = models.CharField(_("set type"), max_length=12, choices=TicketType.choices, blank=True)
    set_category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("set category"))
    set_priority = models.CharField(_("set priority"), max_length=10, choices=Priority.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")
        ordering: ClassVar[list[str]] = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """Reusable reply text with `{{ customer.name }}`, `{{ ticket.number }}`, `{{ order.number }}`.

    Shared when it has no owner; personal otherwise.
    """

    class Language(models.TextChoices):
        ZH = "zh-hans", _("Simplified Chinese")
        EN = "en", _("English")

    title = models.CharField(_("title"), max_length=80)
    shortcut = models.SlugField(_("shortcut"), max_length=30, blank=True)
    body = models.TextField(_("body"))
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="canned_responses", verbose_name=_("owner (empty: shared)"))
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering: ClassVar[list[str]] = ["title"]

    def __str__(self) -> str:
        return self.title


class DeskSettings(models.Model):
    """The desk-wide knobs; one row (pk=1), edited in admin."""

    nudge_threshold = models.PositiveSmallIntegerField(_("nudges that escalate"), default=3)
    nudge_window_minutes = models.PositiveIntegerField(_("nudge window (minutes)"), default=60)
    reopen_window_days = models.PositiveSmallIntegerField(_("reopen window (days)"), default=7)
    sla_warning_percent = models.PositiveSmallIntegerField(_("SLA warning at (% of target)"), default=80)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="desk_settings_singleton"),
            models.CheckConstraint(condition=models.Q(sla_warning_percent__range=(1, 99)), name="desk_warning_pct"),
            models.CheckConstraint(condition=models.Q(nudge_threshold__gte=1), name="desk_nudge_threshold_min"),
        ]

    def __str__(self) -> str:
        return str(_("Desk settings"))

    @classmethod
    def load(cls) -> "DeskSettings":
        return cls.objects.get_or_create(pk=1)[0]
