"""Side conversations: an e-mail thread from a ticket with a merchant, a courier or another team, kept beside
the ticket and never shown to the customer (tickets.side_conversations)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from tickets.models.tickets import Ticket, attachment_storage


class SideConversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="side_conversations",
                               verbose_name=_("ticket"))
    subject = models.CharField(_("subject"), max_length=200)
    # Who the desk writes to: a merchant's, a courier's or another team's address, typed or picked.
    counterpart = models.EmailField(_("to"), max_length=254)
    # In the reply address (`…+side-<token>@…`): a reply that lost its headers still finds the thread.
    token = models.CharField(max_length=32, unique=True, editable=False, verbose_name=_("reply token"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Closed when the question is settled; an answer from the counterpart opens it again.
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Moved on by every message and status change: the admin lists the latest activity first.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("side conversation")
        verbose_name_plural = _("side conversations")
        indexes = [models.Index(fields=["ticket", "-id"], name="side_conversation_ticket"),
                   models.Index(fields=["-updated_at"], name="side_conversation_updated")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.subject}"


class SideMessage(models.Model):
    class Direction(models.TextChoices):
        OUTBOUND = "out", _("Sent")
        INBOUND = "in", _("Received")

    conversation = models.ForeignKey(SideConversation, on_delete=models.CASCADE, related_name="messages",
                                     verbose_name=_("side conversation"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    sender = models.CharField(_("from"), max_length=254, blank=True)
    body = models.TextField(_("body"))
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True, verbose_name=_("in reply to"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("side conversation message")
        verbose_name_plural = _("side conversation messages")
        indexes = [models.Index(fields=["conversation", "id"], name="side_message_thread")]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.pk}"


class SideAttachment(models.Model):
    """A file on a side message: attached by the desk (sent as a MIME part) or kept from the counterpart's mail."""

    message = models.ForeignKey(SideMessage, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("side conversation message"))
    file = models.FileField(_("file"), upload_to="side/%Y/%m/", storage=attachment_storage)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256 checksum"))

    class Meta:
        verbose_name = _("side conversation attachment")
        verbose_name_plural = _("side conversation attachments")

    def __str__(self) -> str:
        return self.filename
