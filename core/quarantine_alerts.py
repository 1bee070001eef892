"""The quarantine's alert: supervisors get an e-mail when it grows fast, at most once per window.

Windows are fixed (QUARANTINE_ALERT_WINDOW_SECONDS from the epoch). When a new row makes the count of rows
first seen in the current window reach QUARANTINE_ALERT_THRESHOLD, one alert is queued through the outbox
in the quarantining transaction. The queued outbox row is the record that the window has had its alert
(outbox rows are kept for days, windows last an hour), checked under a transaction-level advisory lock, so
a flood of poison messages from many workers at once is one mail, not a storm.
Supervisors are the users who may act on the quarantine (its desk page's permission).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mass_mail
from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import OutboxMessage, QuarantinedMessage
from core.queueing import enqueue

PERMISSION_APP, PERMISSION_CODENAME = "core", "change_quarantinedmessage"
ALERT_TASK = "core.tasks.email_quarantine_alert"
# Serialises "has this window had its alert?" across transactions (any fixed number unique to this use).
_ALERT_LOCK = 0x5143_414C  # "QCAL"


def _window_start(now: datetime) -> datetime:
    seconds = settings.QUARANTINE_ALERT_WINDOW_SECONDS
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)


def note_new_row(*, now: datetime | None = None) -> bool:
    """Called for each new quarantine row inside its transaction: queue the alert when this row reaches the
    threshold of its window and no alert of that window was queued. True when it queued one."""
    now = now or timezone.now()
    start = _window_start(now)
    count = QuarantinedMessage.objects.filter(first_seen_at__gte=start).count()
    if count < settings.QUARANTINE_ALERT_THRESHOLD:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ALERT_LOCK])
    if OutboxMessage.objects.filter(task_name=ALERT_TASK, kwargs__window_start=start.isoformat()).exists():
        return False
    enqueue("core.tasks.email_quarantine_alert", window_start=start.isoformat(), count=count)
    return True


def supervisors() -> QuerySet:
    """Active users who may retry or discard quarantined messages, directly, through a group, or as superuser."""
    grant = Q(user_permissions__codename=PERMISSION_CODENAME,
              user_permissions__content_type__app_label=PERMISSION_APP) | Q(
        groups__permissions__codename=PERMISSION_CODENAME, groups__permissions__content_type__app_label=PERMISSION_APP)
    return get_user_model().objects.filter(Q(is_superuser=True) | grant, is_active=True).distinct()


def _origin() -> str:
    origins: list[str] = settings.CSRF_TRUSTED_ORIGINS
    return origins[0].rstrip("/") if origins else ""


def email_supervisors(*, window_start: str, count: int) -> int:
    """One e-mail to each supervisor (never one listing everyone), in their language. Returns how many."""
    start = datetime.fromisoformat(window_start)
    end = start + timedelta(seconds=settings.QUARANTINE_ALERT_WINDOW_SECONDS)
    held = QuarantinedMessage.objects.filter(state=QuarantinedMessage.State.HELD).count()
    mails = []
    for user in supervisors():
        if not user.email:  # encrypted at rest: not filterable in the query
            continue
        with translation.override(getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE):
            subject = _("[Quarantine] %(count)d new messages could not be stored") % {"count": count}
            body = "\n".join([
                _("Since %(start)s, %(count)d new inbound messages were quarantined (alert threshold: %(threshold)d "
                  "per %(minutes)d minutes). %(held)d messages are held in all.") % {
                    "start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"), "count": count,
                    "threshold": settings.QUARANTINE_ALERT_THRESHOLD,
                    "minutes": settings.QUARANTINE_ALERT_WINDOW_SECONDS // 60, "held": held},
                _("No further alert is sent before %(end)s.") % {
                    "end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M")},
                "",
                _("Review them: %(url)s") % {"url": _origin() + reverse("quarantine:list")},
            ])
        mails.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    marker = f"core:quarantine-alert-mailed:{window_start}"
    if not cache.add(marker, True, timeout=settings.QUARANTINE_ALERT_WINDOW_SECONDS * 2):
        return 0  # a redelivered task: the mails went out already
    try:
        send_mass_mail(mails)
    except Exception:
        cache.delete(marker)  # the mail server refused: the outbox's retry sends them
        raise
    return len(mails)
