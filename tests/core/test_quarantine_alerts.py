"""The quarantine's alert: supervisors are mailed once per window when new rows reach the threshold, never a
storm, through core.messaging (the one e-mail path: an outbox row per supervisor, run once)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache

from core import quarantine, quarantine_alerts
from core.models import OutboxMessage, QuarantinedMessage
from profiles.models import User

pytestmark = pytest.mark.django_db
TASK = "core.tasks.send_email"  # core.messaging's task: the alert has none of its own


@pytest.fixture(autouse=True)
def small_window(settings: Any) -> None:
    settings.QUARANTINE_ALERT_THRESHOLD = 3
    settings.QUARANTINE_ALERT_WINDOW_SECONDS = 600
    cache.clear()


@pytest.fixture
def supervisor(make_user: Callable[..., User]) -> User:
    user = make_user("supervisor", email="boss@example.com")
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    return user


def _alerts() -> list[dict[str, Any]]:
    return list(OutboxMessage.objects.filter(task_name=TASK).values_list("kwargs", flat=True))


def test_an_alert_is_queued_once_when_new_rows_reach_the_threshold_in_a_window(supervisor: User) -> None:
    for number in range(2):
        quarantine.quarantine(channel="email", raw=f"poison {number}".encode(), reason="boom")
    assert _alerts() == []
    quarantine.quarantine(channel="wechat", raw=b"poison 2", reason="boom")
    assert len(_alerts()) == 1 and _alerts()[0]["recipient_id"] == supervisor.pk
    assert _alerts()[0]["subject"] == "[Quarantine] 3 new messages could not be stored"
    for number in range(3, 20):  # a flood: still one alert for the window
        quarantine.quarantine(channel="email", raw=f"poison {number}".encode(), reason="boom")
    quarantine.quarantine(channel="email", raw=b"poison 0", reason="seen again")  # a repeat is no new row
    assert len(_alerts()) == 1


def test_a_later_window_counts_only_its_own_rows_and_alerts_again(supervisor: User) -> None:
    rows = [quarantine.quarantine(channel="email", raw=f"a {number}".encode(), reason="boom").message
            for number in range(3)]
    assert len(_alerts()) == 1
    assert [row.pk for row in QuarantinedMessage.objects.filter(alerted=True)] == [rows[2].pk]
    later = datetime.now(tz=UTC) + timedelta(seconds=600)
    assert quarantine_alerts.note_new_row(message_id=rows[0].pk, now=later) is False  # nothing in that window yet
    QuarantinedMessage.objects.update(first_seen_at=later)
    QuarantinedMessage.objects.filter(pk=rows[2].pk).update(alerted=False)
    assert quarantine_alerts.note_new_row(message_id=rows[0].pk, now=later) is True
    assert quarantine_alerts.note_new_row(message_id=rows[1].pk, now=later) is False
    assert len(_alerts()) == 2


@pytest.mark.usefixtures("celery_eager")
def test_each_supervisor_gets_one_mail_in_their_language_sent_once_by_the_outbox(
        make_user: Callable[..., User], django_capture_on_commit_callbacks: Any) -> None:
    zh = make_user("supervisor", email="zh@example.com")
    en = make_user("supervisor", email="en@example.com")
    User.objects.filter(pk=zh.pk).update(preferred_language="zh-hans")
    User.objects.filter(pk=en.pk).update(preferred_language="en")
    make_user("agent", user__email="agent@example.com")
    make_user("supervisor", email="")  # no address: nobody to mail
    quarantine.quarantine(channel="email", raw=b"x", reason="boom")
    start = quarantine_alerts._window_start(datetime.now(tz=UTC))

    with django_capture_on_commit_callbacks(execute=True):
        assert quarantine_alerts.email_supervisors(start=start, count=12) == 2
    assert len(_alerts()) == 2 and len(mail.outbox) == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {zh.email, en.email}
    assert by_address[zh.email].subject == "[隔离区] 有 12 条新消息未能保存"
    assert by_address[en.email].subject == "[Quarantine] 12 new messages could not be stored"
    assert "threshold: 3 per 10 minutes" in by_address[en.email].body
    assert "/desk/quarantine/" in by_address[en.email].body
