"""Tickets, their conversation, and the rows that record what happened to them."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from profiles.models import Team
from tickets.models.choices import OPEN_STATUSES, Channel, Priority, Status, TicketType
from tickets.models.config import Category, SlaPolicy

# Queues sort and page by (due_at, id); a ticket with no running clock sorts last. A sentinel
# rather than NULL keeps the keyset a plain row comparison that an index can walk.
NO_DUE = datetime(9999, 1, 1, tzinfo=UTC)
OPEN_Q = models.Q(status__in=[str(status) for status in OPEN_STATUSES])


def attachment_storage() -> Storage:
    # Attachments are private (served after an access check), so they live outside MEDIA_ROOT.
    return FileSystemStorage(location=settings.TICKETS_MEDIA_ROOT)


class TicketCounter(models.Model):
    """The last sequence number handed out per Shanghai calendar day (incremented by UPSERT)."""

    day = models.DateField(primary_key=True, verbose_name=_("day"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Ticket(models.Model):
    # Unique by one index in Meta (varchar_pattern_ops: equality and the LIKE 'T20261122%' of a number search),
    # not by `unique=True`, which makes a plain unique index plus a pattern_ops twin.
    number = models.CharField(_("number"), max_length=20, editable=False)
    # Indexed by ticket_customer_recent (customer, -created_at), which leads with it.
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets",
                                 verbose_name=_("customer"), db_index=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    # Which entry point made it (help_center, api, agent, chat, aftersales ...): for reports, not logic.
    source = models.CharField(_("source"), max_length=30, blank=True)
    type = models.CharField(_("type"), max_length=12, choices=TicketType.choices, default=TicketType.INQUIRY)
    # No query looks tickets up by category or SLA policy: an index would only speed up deleting one of those
    # (a rare admin action, which then scans the tickets once to clear the reference).
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
                                 verbose_name=_("category"), db_index=False)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    tags = ArrayField(models.CharField(max_length=30), verbose_name=_("tags"), default=list, blank=True)
    region = models.CharField(_("region"), max_length=20, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
                             verbose_name=_("team"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="assigned_tickets", verbose_name=_("assignee"))
    # Set on few tickets: partial indexes (Meta) hold only those instead of a row per ticket.
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
                               verbose_name=_("parent ticket"), db_index=False)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="merged_from", verbose_name=_("merged into"), db_index=False)
    linked = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("linked tickets"))
    # The after-sales app sits above tickets, so the order is referenced by its number only.
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    subject = models.CharField(_("subject"), max_length=200)

    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("SLA policy"), db_index=False)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due_at = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), default=NO_DUE, editable=False)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_seconds = models.PositiveIntegerField(_("SLA paused (business seconds)"), default=0)
    next_sla_check_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("next SLA check"))

    nudge_count = models.PositiveIntegerField(_("nudges"), default=0)
    last_nudged_at = models.DateTimeField(_("last nudged"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # History is read per ticket (by id) only: the copies of the ticket's own indexes would cost every save.
    # It keeps what people audit (status, people, team, priority, type, category, tags, links, the SLA policy
    # and the times things happened), not the SLA clock's arithmetic: the due times and paused time follow
    # from the policy, priority and status changes history does keep, and SlaEvent records each breach. The
    # creation time is the first history row's date.
    history = HistoricalRecords(excluded_fields=["next_sla_check_at", "updated_at", "first_response_due_at",
                                                 "next_response_due_at", "resolution_due_at", "due_at",
                                                 "sla_paused_at", "sla_paused_seconds", "created_at"],
                                no_db_index=["number", "customer", "category", "team", "assignee", "parent",
                                             "merged_into", "sla_policy"])

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The hot queue filters: open work by team, by assignee, unassigned, and by due time.
            models.Index(fields=["team", "due_at", "id"], condition=OPEN_Q, name="ticket_open_team_due"),
            # Only assigned tickets: "mine" asks for one assignee, and `assignee_id = x` implies IS NOT NULL.
            models.Index(fields=["assignee", "due_at", "id"], condition=OPEN_Q & models.Q(assignee__isnull=False),
                         name="ticket_open_assigned_due"),
            models.Index(fields=["team", "due_at", "id"], condition=OPEN_Q & models.Q(assignee__isnull=True),
                         name="ticket_unassigned_due"),
            models.Index(fields=["due_at", "id"], condition=OPEN_Q, name="ticket_open_due"),
            # The queue filtered by one status: its page in due order and each view's capped count (the breached
            # count walked ticket_open_updated past every ticket of the other open statuses).
            models.Index(fields=["status", "due_at", "id"], condition=OPEN_Q, name="ticket_open_status_due"),
            # The SLA sweep's column: only tickets with a running clock have a check time.
            models.Index(fields=["next_sla_check_at"], condition=models.Q(next_sla_check_at__isnull=False),
                         name="ticket_sla_check"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_recent"),
            models.Index(fields=["order_number"], condition=~models.Q(order_number=""), name="ticket_order_number"),
            models.Index(fields=["parent"], condition=models.Q(parent__isnull=False), name="ticket_parent"),
            models.Index(fields=["merged_into"], condition=models.Q(merged_into__isnull=False),
                         name="ticket_merged_into"),
            # No pending list: a ticket adds one entry or two, cheap to place at once, and the list (up to 4 MB
            # until the next vacuum) was the most of this index: 2.9 MB at 100,000 tickets, 0.2 MB without.
            GinIndex(fields=["tags"], name="ticket_tags_gin", fastupdate=False),
            # The reports' daily facts find a day's solved and first-answered tickets by these times.
            models.Index(fields=["solved_at"], condition=models.Q(solved_at__isnull=False), name="ticket_solved_at"),
            models.Index(fields=["first_responded_at"], condition=models.Q(first_responded_at__isnull=False),
                         name="ticket_first_responded_at"),
            # Automations' anchors that had no index: time since an update (open tickets) and pending since.
            models.Index(fields=["updated_at"], condition=OPEN_Q, name="ticket_open_updated"),
            models.Index(fields=["sla_paused_at"], condition=models.Q(sla_paused_at__isnull=False),
                         name="ticket_paused_since"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="ticket_number_unique", opclasses=["varchar_pattern_ops"]),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="ticket_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_due(self) -> bool:
        return self.due_at != NO_DUE


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    # Indexed by ticket_message_thread (ticket, id), which leads with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"),
                               db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REPLY)
    # No query looks messages up by author; an index would only speed up the PROTECT check when a user is deleted.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"), db_index=False)
    # Whether the author spoke for the desk (agent) or as the customer; decides SLA effects.
    from_customer = models.BooleanField(_("from customer"), default=False)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [
            # A thread is read in id order, newest page first: (ticket, id) reads only the page's rows backwards,
            # where (ticket, created_at, id) had the 500 messages of a long thread sorted for each page.
            models.Index(fields=["ticket", "id"], name="ticket_message_thread"),
            # The reports count a day's desk replies per agent (messages per hour).
            models.Index(fields=["created_at"], condition=models.Q(kind="reply", from_customer=False),
                         name="ticket_message_desk_reply"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.pk}"

    # Set by selectors.ticket_detail on the messages of a page: their files, read with the page (not a field).
    files: list["TicketAttachment"]

    @property
    def is_note(self) -> bool:
        return self.kind == self.Kind.NOTE

    # How the message travelled (the thread's labels), None when it did not: a missing reverse one-to-one raises,
    # and a template lookup that raises costs a dir() of the whole message (Django checks whether the name was a
    # property that failed) - three per message on a ticket page of 50.
    @property
    def email_record(self) -> Any:
        return self._related_or_none("email")

    @property
    def outbound_record(self) -> Any:
        return self._related_or_none("outbound")

    @property
    def inbound_record(self) -> Any:
        return self._related_or_none("inbound")

    def _related_or_none(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except ObjectDoesNotExist:
            return None


class TicketAttachment(models.Model):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to="%Y/%m/", storage=attachment_storage)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 checksum"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Notification(models.Model):
    """In-app notice for a desk user (mention, escalation, assignment); e-mail goes out beside it."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mentioned in a note")
        ESCALATION = "escalation", _("Ticket escalated")
        ASSIGNMENT = "assignment", _("Ticket assigned")
        BOUNCE = "bounce", _("E-mail reply bounced")
        AUTOMATION = "automation", _("Automation applied")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("ticket"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.text


class Escalation(models.Model):
    """One step up. Unique per (ticket, reason, level): a retried task cannot climb twice."""

    class Reason(models.TextChoices):
        SLA_BREACH = "sla_breach", _("SLA breached")
        NUDGES = "nudges", _("Customer nudged repeatedly")
        MANUAL = "manual", _("Escalated by hand")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("ticket"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    to_team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("to team"))
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("to agent"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "reason", "level"], name="escalation_unique_step"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} L{self.level} {self.reason}"


class SlaEvent(models.Model):
    """A warning or breach already announced for one target's due time: each fires once."""

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_RESPONSE = "next_response", _("Next response")
        RESOLUTION = "resolution", _("Resolution")

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events", verbose_name=_("ticket"))
    target = models.CharField(max_length=20, choices=Target.choices, verbose_name=_("target"))
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "kind", "due_at"], name="sla_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind}"


class SatisfactionSurvey(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey", verbose_name=_("ticket"))
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("customer"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    attitude = models.PositiveSmallIntegerField(_("attitude"), null=True, blank=True)
    speed = models.PositiveSmallIntegerField(_("speed"), null=True, blank=True)
    result = models.PositiveSmallIntegerField(_("result"), null=True, blank=True)
    suggestion = models.TextField(_("suggestion"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True)
                | models.Q(attitude__range=(1, 5), speed__range=(1, 5), result__range=(1, 5)),
                name="survey_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}"


