from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    # A context: plain "Phone" is the phone-number field (手机号); the channel is a call (电话).
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    WECHAT = "wechat", _("WeChat")
    WEIBO = "weibo", _("Weibo")
    SMS = "sms", _("SMS")
    APP = "app", _("App")
    API = "api", _("API")


class TicketType(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    AFTERSALES = "aftersales", _("After-sales")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending (waiting on customer)")
    ON_HOLD = "on_hold", _("On hold (waiting on a third party)")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
PAUSED_STATUSES = (Status.PENDING, Status.ON_HOLD)
