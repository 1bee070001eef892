"""E-mail as a ticket channel: the mailboxes we read, and every mail that came in or went out."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import BlindIndexedModelMixin, BlindIndexField, EncryptedTextField
from core.history import HistoricalRecords
from profiles.models import Team
from tickets.models.delivery import DeliveryState
from tickets.models.tickets import Ticket, TicketMessage


class Mailbox(models.Model):
    """An address customers write to. Polled over IMAP when a host is set; the inbound endpoint needs none."""

    # A context: the project catalog's plain "address" is a postal address.
    address = models.EmailField(pgettext_lazy("mailbox", "address"), unique=True)
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True, default="")
    imap_ssl = models.BooleanField(_("IMAP over SSL"), default=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("team"), help_text=_("New tickets from this mailbox go to this team."))
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_poll_error = models.CharField(_("last poll error"), max_length=300, blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    quarantined_count = models.PositiveIntegerField(_("mails quarantined"), default=0, editable=False)
    # Who changed a mailbox and when; the password stays out of the history table, and polls are not changes.
    history = HistoricalRecords(excluded_fields=["imap_password", "last_polled_at", "last_poll_error", "last_error_at",
                                                "quarantined_count"])

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address


class EmailMessage(BlindIndexedModelMixin, DeliveryState):
    """One mail in or out, stored once per Message-ID, with the raw original kept as received or sent."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Outcome(models.TextChoices):
        TICKET = "ticket", _("On a ticket")
        LOOP = "loop", _("Ignored: automatic mail")
        HELD = "held", _("Held: sender over the hourly limit")
        BOUNCE = "bounce", _("Bounce")
        REFUSED = "refused", _("Refused: attachment too large")
        QUEUED = "queued", _("Queued to send")
        # A context: the chat catalog's "Sent" is a delivery tick (已送达).
        SENT = "sent", pgettext_lazy("email", "Sent")
        FAILED = "failed", _("Not sent")
        REJECTED = "rejected", _("Held mail rejected by a supervisor")
        SIDE = "side", _("On a side conversation")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # Without angle brackets; unique, so a redelivered mail (IMAP re-poll, a retried POST) is stored once.
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages",
                                verbose_name=_("mailbox"))
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails",
                               verbose_name=_("ticket"))
    ticket_message = models.OneToOneField(TicketMessage, on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="email", verbose_name=_("ticket message"))
    # The customer's address is PII: encrypted, with a blind index for the per-sender rate limit.
    counterpart = EncryptedTextField(_("from / to"), blank=True, default="")
    counterpart_index = BlindIndexField(source="counterpart", kind="email", verbose_name=_("counterpart index"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=500, blank=True)
    references = models.TextField(_("References"), blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    raw = models.BinaryField(_("raw message"))
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    bounce_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="bounces",
                                  verbose_name=_("bounce of"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # An outgoing mail's attempts and due time (DeliveryState) are worked off by tickets.services.delivery.

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        indexes = [
            models.Index(fields=["counterpart_index", "created_at"], condition=models.Q(direction="in"),
                         name="email_inbound_sender_recent"),
            models.Index(fields=["ticket", "created_at"], name="email_ticket_thread"),
            models.Index(fields=["next_attempt_at"], condition=models.Q(outcome="queued"), name="email_queued_due"),
        ]

    def __str__(self) -> str:
        return self.message_id
