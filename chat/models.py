"""Live chat: conversations, their numbered messages, uploads, read pointers and the admin's limits."""

import os
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords


@deconstructible(path="chat.models.ChatStorage")
class ChatStorage(FileSystemStorage):
    """Chat uploads are private (served through a membership check), so they live outside MEDIA_ROOT.

    The folder is read from settings on every use: migrations then name this class instead of
    one machine's path, and tests can point it at a temporary folder.
    """

    @property
    def base_location(self) -> str:
        return str(settings.CHAT_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


chat_storage = ChatStorage()


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot", _("With the assistant")
        WAITING = "waiting", _("Waiting for an agent")
        ACTIVE = "active", _("With an agent")
        ENDED = "ended", _("Ended")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        MOBILE = "mobile", _("Mobile")
        EMBED = "embed", _("Embedded widget")

    OPEN_STATUSES = (Status.BOT, Status.WAITING, Status.ACTIVE)

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_conversations",
        verbose_name=_("customer"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_chats",
        verbose_name=_("agent"),
    )
    # Set at handoff by the tickets routing rules: "take next" offers it to this team's agents first.
    team = models.ForeignKey("profiles.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    # The skills the routing rule asked for (profiles.Skill ids): automatic assignment picks an agent
    # holding all of them. Ids rather than a relation: read with the row, never joined.
    skill_ids = ArrayField(models.PositiveIntegerField(), verbose_name=_("required skills"), default=list, blank=True)
    # The language of the page the customer chats from: assistant and system lines are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    # The sequence of the newest message; the next message takes last_seq + 1 under the row lock.
    last_seq = models.PositiveIntegerField(_("last sequence"), default=0)
    bot_misses = models.PositiveSmallIntegerField(_("unanswered questions"), default=0)
    handoff_reason = models.CharField(_("handoff reason"), max_length=20, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    rating_comment = models.CharField(_("satisfaction comment"), max_length=500, blank=True)
    # The ticket this chat became or was attached to; set once, so a second click changes nothing.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["last_seq"])

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            # The waiting queue: oldest first, only the rows that are waiting.
            models.Index(
                fields=["waiting_since", "id"], name="chat_waiting_queue_idx", condition=models.Q(status="waiting")
            ),
            # An agent's open chats (console list, capacity check).
            models.Index(fields=["agent", "id"], name="chat_active_by_agent_idx", condition=models.Q(status="active")),
            models.Index(fields=["customer", "-id"], name="chat_by_customer_idx"),
        ]
        constraints = [
            # A customer has one open conversation; starting again continues it.
            models.UniqueConstraint(
                fields=["customer"], name="chat_one_open_per_customer", condition=~models.Q(status="ended")
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="chat_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VOICE = "voice", _("Voice")
        FILE = "file", _("File")
        VIDEO = "video", _("Video")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments",
                                     verbose_name=_("conversation"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), storage=chat_storage, upload_to="chat/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), storage=chat_storage, upload_to="chat/%Y/%m/", blank=True)
    content_type = models.CharField(_("content type"), max_length=100)
    original_name = models.CharField(_("original name"), max_length=200)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("width"))
    height = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("height"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    transcript = models.TextField(_("transcript"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ChatMessage(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        BOT = "bot", _("Assistant")
        SYSTEM = "system", _("System")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        VOICE = "voice", _("Voice")
        FILE = "file", _("File")
        VIDEO = "video", _("Video")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages",
                                     verbose_name=_("conversation"))
    seq = models.PositiveIntegerField(_("sequence"))
    sender = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(_("body"), blank=True)
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("attachment"))
    # The sender's own id for this message: a retried send with the same id is answered, not stored twice.
    client_id = models.CharField(_("client id"), max_length=64, blank=True)
    # How sure the assistant was of a knowledge-base answer (0 to 1); empty for everything else.
    bot_confidence = models.FloatField(_("assistant confidence"), null=True, blank=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    edit_count = models.PositiveSmallIntegerField(_("edits"), default=0)
    recalled_at = models.DateTimeField(_("recalled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Edits and recalls are kept: QA reads what was said before it was changed.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="chat_message_unique_client_id",
                condition=~models.Q(client_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.seq}"

    @property
    def is_recalled(self) -> bool:
        return self.recalled_at is not None


class ReadReceipt(models.Model):
    """How far one participant has read; unread = conversation.last_seq - last_read_seq."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="read_receipts",
                                     verbose_name=_("conversation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    last_read_seq = models.PositiveIntegerField(default=0, verbose_name=_("last read message number"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="chat_receipt_unique_user")]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.user_id}@{self.last_read_seq}"


class ChatSettings(models.Model):
    """The admin-editable limits of chat: one row (pk=1)."""

    CACHE_KEY = "chat:settings"

    edit_window_seconds = models.PositiveIntegerField(_("edit window (seconds)"), default=120)
    recall_window_seconds = models.PositiveIntegerField(_("recall window (seconds)"), default=120)
    edit_limit = models.PositiveSmallIntegerField(_("edits allowed per message"), default=3)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")

    def __str__(self) -> str:
        return str(_("Chat settings"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(self.CACHE_KEY)

    @classmethod
    def load(cls) -> "ChatSettings":
        # Read on every edit/recall; a short cache keeps that off the database.
        cached = cache.get(cls.CACHE_KEY)
        if cached is None:
            cached, _created = cls.objects.get_or_create(pk=1)
            cache.set(cls.CACHE_KEY, cached, 60)
        return cached


class ChatTeamSettings(models.Model):
    """How a team's waiting chats reach its agents. A team without a row gets the least busy agent."""

    class Strategy(models.TextChoices):
        LEAST_BUSY = "least_busy", _("Automatic: least busy agent")
        ROUND_ROBIN = "round_robin", _("Automatic: round robin")
        MANUAL = "manual", _("Manual: agents pick from the queue")

    team = models.OneToOneField("profiles.Team", on_delete=models.CASCADE, related_name="chat_settings",
                                verbose_name=_("team"))
    strategy = models.CharField(_("assignment"), max_length=20, choices=Strategy.choices,
                                default=Strategy.LEAST_BUSY)
    # The round-robin pointer: the agent who got the team's previous chat.
    last_assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("last assigned agent"),
    )
    history = HistoricalRecords(excluded_fields=["last_assigned_agent"])

    class Meta:
        verbose_name = _("team chat assignment")
        verbose_name_plural = _("team chat assignment")

    def __str__(self) -> str:
        return str(self.team)
