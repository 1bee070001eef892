"""Daily rollups the dashboards read instead of the million-row tables, and export jobs.

A rollup row is the sum of one Beijing calendar day's facts for one combination of keys; the nightly
task rewrites a whole day at once (reports/rollups.py), so rows are never edited one by one. The
measure columns mirror the fact queries of each app's selectors (tickets.selectors.ticket_daily_facts
and friends): the names must match, as the rollup copies them with INSERT ... SELECT.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.history import HistoricalRecords
from profiles.models import Store, Team


def _count(label: StrOrPromise) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0)


def _total(label: StrOrPromise) -> models.BigIntegerField:
    return models.BigIntegerField(label, default=0)


class DailyRollup(models.Model):
    """A rollup row's day, the key every rollup table shares: the nightly task rewrites by it."""

    day = models.DateField(_("day"))

    class Meta:
        abstract = True


class TeamChannelAgentDaily(DailyRollup):
    """The keys of the desk's rollups (tickets and chats): a day's figures per team, channel and agent.

    Each table declares its own unique constraint on these keys, as constraint names are per table."""

    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    channel = models.CharField(_("channel"), max_length=10)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.team_id} {self.channel} {self.agent_id}"


class TicketDaily(TeamChannelAgentDaily):
    created = _count(_("tickets created"))
    solved = _count(_("solved"))
    first_response_seconds = _total(_("first response time (s, sum)"))
    first_responses = _count(_("first responses"))
    handle_seconds = _total(_("handle time (s, sum)"))
    handled = _count(_("handled"))
    reopened = _count(_("reopened"))
    satisfaction_sum = _total(_("satisfaction (sum of scores)"))
    satisfaction_count = _count(_("surveys answered"))
    sla_breaches = _count(_("SLA breaches"))
    public_messages = _count(_("public replies"))

    class Meta:
        verbose_name = _("daily ticket figures")
        verbose_name_plural = _("daily ticket figures")
        constraints = [models.UniqueConstraint(fields=["day", "team", "channel", "agent"], nulls_distinct=False,
                                               name="ticket_daily_once")]


class ChatDaily(TeamChannelAgentDaily):
    assigned = _count(_("assigned"))
    wait_seconds = _total(_("wait time (s, sum)"))
    ended = _count(_("ended"))
    handle_seconds = _total(_("handle time (s, sum)"))
    handled = _count(_("handled"))
    rating_sum = _total(_("rating (sum)"))
    rating_count = _count(_("ratings"))
    agent_messages = _count(_("agent messages"))

    class Meta:
        verbose_name = _("daily chat figures")
        verbose_name_plural = _("daily chat figures")
        constraints = [models.UniqueConstraint(fields=["day", "team", "channel", "agent"], nulls_distinct=False,
                                               name="chat_daily_once")]


class AgentActivityDaily(DailyRollup):
    """Messages an agent sent (ticket replies and chat) and in how many distinct clock hours."""

    # Not TeamChannelAgentDaily's agent: every row has one, and it goes with the agent.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("agent"))
    messages = _count(_("messages"))
    active_hours = _count(_("active hours"))

    class Meta:
        verbose_name = _("daily agent activity")
        verbose_name_plural = _("daily agent activity")
        constraints = [models.UniqueConstraint(fields=["day", "agent"], name="agent_activity_daily_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.agent_id}"


class AfterSalesDaily(DailyRollup):
    request_type = models.CharField(_("type"), max_length=20)
    reason_id = models.IntegerField(_("reason"))
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    courier = models.CharField(_("courier"), max_length=8, blank=True)
    product_line = models.CharField(_("product line"), max_length=40)
    requests = _count(_("requests"))
    requested_fen = _total(_("requested (fen)"))
    refunds = _count(_("refunds"))
    refund_fen = _total(_("refunded (fen)"))
    refund_seconds = _total(_("refund time (s, sum)"))

    class Meta:
        verbose_name = _("daily after-sales figures")
        verbose_name_plural = _("daily after-sales figures")
        constraints = [models.UniqueConstraint(
            fields=["day", "request_type", "reason_id", "store", "courier", "product_line"],
            name="aftersales_daily_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.request_type} {self.reason_id} {self.store_id}"


class RollupRun(models.Model):
    """When each day was last rolled up: the dashboards use the live queries for days never rolled up."""

    day = models.DateField(_("day"), primary_key=True)
    finished_at = models.DateTimeField(_("finished"))

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")

    def __str__(self) -> str:
        return str(self.day)


@deconstructible(path="reports.models.ExportStorage")
class ExportStorage(FileSystemStorage):
    """Exports hold customer data, so they live outside MEDIA_ROOT and are served only to their owner.

    The folder is read from settings on every use (as chat's storage does) so migrations name this
    class, not one machine's path, and tests can point it at a temporary folder.
    """

    @property
    def base_location(self) -> str:
        return str(settings.REPORTS_EXPORT_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Dataset(models.TextChoices):
        TICKETS = "tickets", _("Tickets created")
        AGENT_KPIS = "agent_kpis", _("Agent KPIs")
        MARKETING_AUDIENCE = "marketing_audience", _("Marketing audience (customers who agreed)")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("owner"))
    dataset = models.CharField(_("data"), max_length=20, choices=Dataset.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    # Decided when the job is asked for, from the owner's permissions then: a worker has no request.
    include_pii = models.BooleanField(_("unmasked personal data"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), storage=ExportStorage(), upload_to="%Y/%m/", blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["owner", "-created_at"], name="export_owner_recent")]

    def __str__(self) -> str:
        return f"{self.dataset} {self.date_from}..{self.date_to} ({self.owner_id})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class SavedReport(models.Model):
    """A builder report kept by its owner, optionally shared with everyone who reads reports, optionally
    mailed to the owner every day or week (beat sweeps `next_run_at`; no countdown task per report)."""

    class Frequency(models.TextChoices):
        NEVER = "", _("Not sent")
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every Monday")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("owner"))
    name = models.CharField(_("name"), max_length=100)
    spec = models.JSONField(_("report"))
    shared = models.BooleanField(_("shared with report readers"), default=False)
    frequency = models.CharField(_("e-mail"), max_length=10, choices=Frequency.choices, blank=True)
    next_run_at = models.DateTimeField(_("next e-mail"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last e-mail"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # next_run_at and last_sent_at move on every scheduled e-mail; the history is of what people changed.
    history = HistoricalRecords(excluded_fields=["next_run_at", "last_sent_at"])

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        indexes = [models.Index(fields=["next_run_at"], condition=models.Q(next_run_at__isnull=False),
                                name="saved_report_due")]

    def __str__(self) -> str:
        return self.name
