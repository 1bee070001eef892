"""What arrives from and goes out to channels other than the web: WeChat, social webhooks, SMS, calls.

Accounts and sources are configured in admin. Each inbound provider message is recorded once by its
provider id (a redelivery finds the row and stores nothing), and each desk reply on such a ticket gets
an outbound row that the sender task works off, so a provider outage never loses a reply.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import EncryptedTextField
from core.history import HistoricalRecords
from tickets.models.choices import Channel
from tickets.models.delivery import DeliveryState
from tickets.models.tickets import Ticket, TicketMessage, attachment_storage


class WeChatAccount(models.Model):
    """A WeChat Official Account whose server endpoint is `/api/v1/channels/wechat/<app id>/`."""

    name = models.CharField(_("name"), max_length=60)
    app_id = models.CharField(_("AppID"), max_length=32, unique=True)
    app_secret = EncryptedTextField(_("AppSecret"))
    token = EncryptedTextField(_("token"), help_text=_("The token set on the WeChat server configuration page."))
    encoding_aes_key = EncryptedTextField(
        _("EncodingAESKey"), blank=True, default="",
        help_text=_("43 characters; needed for the encrypted (safe) message mode."))
    api_base = models.URLField(_("API base URL"), default="https://api.weixin.qq.com")
    is_active = models.BooleanField(_("active"), default=True)
    # Who changed the account and when; the secrets themselves stay out of the history table.
    history = HistoricalRecords(excluded_fields=["app_secret", "token", "encoding_aes_key"])

    class Meta:
        verbose_name = _("WeChat Official Account")
        verbose_name_plural = _("WeChat Official Accounts")

    def __str__(self) -> str:
        return self.name


class SocialSource(models.Model):
    """A channel that posts signed JSON to `/api/v1/channels/social/<slug>/` (Weibo DMs, an SMS gateway's
    inbound replies, any other social channel behind a relay)."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    channel = models.CharField(_("channel"), max_length=10, default=Channel.WEIBO, choices=[
        (Channel.WEIBO.value, Channel.WEIBO.label), (Channel.SMS.value, Channel.SMS.label),
        (Channel.APP.value, Channel.APP.label)])
    secret = EncryptedTextField(_("signing secret"))
    reply_url = models.URLField(_("reply URL"), max_length=300, blank=True,
                                help_text=_("Desk replies are posted here, signed like our webhooks. For SMS "
                                            "sources leave it empty: replies go out through the SMS adapter."))
    replay_window_seconds = models.PositiveIntegerField(_("replay window (seconds)"), default=300)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        verbose_name = _("social channel source")
        verbose_name_plural = _("social channel sources")

    def __str__(self) -> str:
        return self.name


# The types the desk shows with their own card or as text (templates/tickets/_inbound_content.html).
CARDED_MESSAGE_TYPES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link", "file"})


class InboundMessage(models.Model):
    """One provider message (WeChat MsgId, SMS id, social message id) and the ticket message it became."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # The account or source it came through: provider ids are unique only within one.
    account = models.CharField(_("account"), max_length=64)
    external_id = models.CharField(_("provider message id"), max_length=128)
    message = models.OneToOneField(TicketMessage, on_delete=models.CASCADE, related_name="inbound",
                                   verbose_name=_("message"))
    # A picture or voice clip the provider keeps until a task fetches it onto the message.
    media_id = models.CharField(_("media id"), max_length=128, blank=True)
    media_fetched = models.BooleanField(_("media fetched"), default=False)
    media_attempts = models.PositiveSmallIntegerField(_("media download attempts"), default=0)
    # Set once the download has failed for good: the desk shows the file as failed, with this reason.
    media_error = models.CharField(_("media error"), max_length=300, blank=True)
    # The provider's type (WeChat MsgType) and its fields the desk shows: a location's label and
    # coordinates, a link's title, description and URL, a file's name and size.
    msg_type = models.CharField(_("message type"), max_length=20, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [models.UniqueConstraint(fields=["channel", "account", "external_id"],
                                               name="inbound_message_once")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"

    @property
    def map_url(self) -> str:
        """A shared location on AMap, which takes WeChat's GCJ-02 coordinates as they are; "" if not numbers."""
        try:
            latitude, longitude = float(self.details["Location_X"]), float(self.details["Location_Y"])
        except (KeyError, TypeError, ValueError):
            return ""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return ""
        return "https://uri.amap.com/marker?" + urlencode(
            {"position": f"{longitude},{latitude}", "name": self.details.get("Label", "")})

    @property
    def unsupported_type(self) -> bool:
        """A provider type the desk has no card for (a WeChat mini-program page, a future type): shown as a
        generic card with the fields as they came."""
        return bool(self.msg_type) and self.msg_type not in CARDED_MESSAGE_TYPES

    @property
    def link_url(self) -> str:
        """A shared link's URL when it is http(s); anything else (javascript: …) is not made a link."""
        url = str(self.details.get("Url", ""))
        return url if urlsplit(url).scheme.lower() in ("http", "https") else ""


class WeChatEvent(models.Model):
    """A WeChat event (follow, unfollow, menu click or view, QR scan, reported location): recorded, no ticket."""

    account = models.CharField(_("account"), max_length=64)
    openid = models.CharField(_("openid"), max_length=128)
    event = models.CharField(_("event"), max_length=40)
    event_key = models.TextField(_("event key"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # openid:CreateTime:Event, as WeChat gives events no id: a redelivery finds the row.
    external_id = models.CharField(_("provider event id"), max_length=128)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat event")
        verbose_name_plural = _("WeChat events")
        constraints = [models.UniqueConstraint(fields=["account", "external_id"], name="wechat_event_once")]
        indexes = [models.Index(fields=["account", "openid", "-received_at"], name="wechat_event_openid")]

    def __str__(self) -> str:
        return f"{self.event}:{self.openid}"


class OutboundMessage(DeliveryState):
    """A desk reply to be sent on the channel the customer used; the row is the source of truth."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    message = models.OneToOneField(TicketMessage, on_delete=models.CASCADE, related_name="outbound",
                                   verbose_name=_("message"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_id = models.CharField(_("provider id"), max_length=128, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"),
                                name="outbound_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.get_status_display()}"


class CallRecord(models.Model):
    """A phone call reported by the CTI / IVR provider; its ticket holds the conversation around it."""

    class Direction(models.TextChoices):
        # A context: e-mail's "Inbound" (收到) is not a call's (呼入).
        INBOUND = "inbound", pgettext_lazy("call direction", "Inbound")
        OUTBOUND = "outbound", pgettext_lazy("call direction", "Outbound")

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="calls", verbose_name=_("ticket"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices,
                                 default=Direction.INBOUND)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("agent"))
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ivr_path = models.JSONField(_("IVR path"), default=list, blank=True)
    recording = models.FileField(_("recording"), upload_to="calls/%Y/%m/", blank=True,
                                 storage=attachment_storage)
    recording_type = models.CharField(_("recording type"), max_length=40, blank=True)
    recording_url = models.URLField(_("recording URL"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        indexes = [models.Index(fields=["ticket", "started_at"], name="call_ticket_idx")]

    def __str__(self) -> str:
        return self.call_id

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()))
