"""The quarantine's alert: supervisors get an e-mail when it grows fast, at most once per window.

Windows are fixed (QUARANTINE_ALERT_WINDOW_SECONDS from the epoch). When a new row makes the count of rows
first seen in the current window reach QUARANTINE_ALERT_THRESHOLD, one e-mail per supervisor is queued through
core.messaging (the one e-mail path, an outbox row each) in the quarantining transaction, and that row is marked
`alerted`: the mark is the record that the window has had its alert, checked under a transaction-level
advisory lock, so a flood of poison messages from many workers at once is one mail each, not a storm.
Supervisors are the users who may act on the quarantine (its desk page's permission).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import messaging
from core.models import QuarantinedMessage

PERMISSION_APP, PERMISSION_CODENAME = "core", "change_quarantinedmessage"
# Serialises "has this window had its alert?" across transactions (any fixed number unique to this use).
_ALERT_LOCK = 0x5143_414C  # "QCAL"


def _window_start(now: datetime) -> datetime:
    seconds = settings.QUARANTINE_ALERT_WINDOW_SECONDS
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)


def note_new_row(*, message_id: int, now: datetime | None = None) -> bool:
    """Called for each new quarantine row inside its transaction: queue the alert when this row reaches the
    threshold of its window and no row of that window has alerted yet. True when it queued one."""
    now = now or timezone.now()
    start = _window_start(now)
    in_window = QuarantinedMessage.objects.filter(first_seen_at__gte=start)
    count = in_window.count()
    if count < settings.QUARANTINE_ALERT_THRESHOLD:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ALERT_LOCK])
    if in_window.filter(alerted=True).exists():
        return False
    QuarantinedMessage.objects.filter(pk=message_id).update(alerted=True)
    email_supervisors(start=start, count=count)
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


def email_supervisors(*, start: datetime, count: int) -> int:
    """One e-mail to each supervisor (never one listing everyone), in their language, through core.messaging
    (sent after the commit, retried by the outbox). Returns how many were queued."""
    end = start + timedelta(seconds=settings.QUARANTINE_ALERT_WINDOW_SECONDS)
    held = QuarantinedMessage.objects.filter(state=QuarantinedMessage.State.HELD).count()
    queued = 0
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
        messaging.send_email(recipient_ids=[user.pk], subject=subject, body=body)
        queued += 1
    return queued
