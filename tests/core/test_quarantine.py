"""The quarantine: /desk/quarantine/ (list, retry, discard with a reason), the metric and the alert line."""

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from core import channel_registry, quarantine
from core.models import OutboxMessage, QuarantinedMessage
from profiles.models import User
from tests.pages.test_service_metrics import metric, scrape

pytestmark = pytest.mark.django_db
STORED: list[bytes] = []


def _intake(raw: bytes, context: Mapping[str, Any]) -> str:
    if raw.startswith(b"bad"):
        raise ValueError("still unreadable: nesting deeper than 50")
    STORED.append(raw)
    return "stored"


@pytest.fixture(autouse=True)
def test_channel() -> Any:
    channel_registry.register(channel_registry.ChannelAdapter(code="testchannel", label="testchannel", retry=_intake))
    STORED.clear()
    yield
    STORED.clear()
    # The registry lives as long as the process: later tests on this worker must not see the test channel.
    channel_registry.unregister("testchannel")


@pytest.fixture
def supervisor_client(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user("supervisor"))
    return client


def test_the_page_lists_held_messages_with_reason_and_raw_start_in_constant_queries(
        supervisor_client: Client, django_assert_max_num_queries: Any) -> None:
    quarantine.quarantine(channel="testchannel", raw=b"From: ((((<x>", reason="RecursionError: too deep", key="a")
    supervisor_client.get("/desk/quarantine/")
    with django_assert_max_num_queries(20) as few:
        page = supervisor_client.get("/desk/quarantine/").content.decode()
    assert "RecursionError: too deep" in page and "From: ((((&lt;x&gt;" in page
    assert '<tr id="channel-testchannel">' in page
    for number in range(5):
        quarantine.quarantine(channel="testchannel", raw=f"more {number}".encode(), reason="boom")
    with django_assert_max_num_queries(20) as many:
        supervisor_client.get("/desk/quarantine/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_retry_stores_the_message_and_a_failing_retry_keeps_it_with_the_new_reason(
        supervisor_client: Client) -> None:
    good = quarantine.quarantine(channel="testchannel", raw=b"good now", reason="was down").message
    bad = quarantine.quarantine(channel="testchannel", raw=b"bad bytes", reason="RecursionError").message

    supervisor_client.post(f"/desk/quarantine/{good.pk}/retry/")
    response = supervisor_client.post(f"/desk/quarantine/{bad.pk}/retry/", follow=True)

    good.refresh_from_db()
    bad.refresh_from_db()
    assert STORED == [b"good now"] and good.state == "retried" and good.resolved_by is not None
    assert (bad.state, bad.attempts) == ("held", 2)
    assert bad.reason == "ValueError: still unreadable: nesting deeper than 50"
    assert "nesting deeper than 50" in response.content.decode()
    page = supervisor_client.get("/desk/quarantine/").content.decode()
    assert f"quarantined-{bad.pk}" in page and f"quarantined-{good.pk}" not in page


def test_discard_needs_a_reason(supervisor_client: Client) -> None:
    held = quarantine.quarantine(channel="testchannel", raw=b"spam", reason="boom").message
    supervisor_client.post(f"/desk/quarantine/{held.pk}/discard/", {"reason": "  "})
    held.refresh_from_db()
    assert held.state == "held"
    supervisor_client.post(f"/desk/quarantine/{held.pk}/discard/", {"reason": "营销垃圾短信"})
    held.refresh_from_db()
    assert (held.state, held.discard_reason) == (QuarantinedMessage.State.DISCARDED, "营销垃圾短信")


def test_supervisors_see_the_page_in_the_navigation(make_user: Callable[..., User]) -> None:
    for role, shown in (("supervisor", True), ("admin", True), ("agent", False), ("qa", False)):
        client = Client()
        client.force_login(make_user(role))
        assert ('href="/desk/quarantine/"' in client.get("/help/").content.decode()) is shown, role


def test_quarantined_messages_are_counted_by_channel_and_state(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-token"  # what scrape() sends once /metrics wants a scraper's token
    quarantine.quarantine(channel="wechat", raw=b"<xml/>", reason="boom")
    quarantine.quarantine(channel="email", raw=b"a", reason="boom")
    gone = quarantine.quarantine(channel="email", raw=b"b", reason="boom")
    quarantine.discard(message_ids=[gone.message.pk], actor=None, reason="spam")
    text = scrape()
    assert metric(text, "service_center_quarantined_messages", channel="wechat", state="held") == 1
    assert metric(text, "service_center_quarantined_messages", channel="email", state="held") == 1
    assert metric(text, "service_center_quarantined_messages", channel="email", state="discarded") == 1


def test_a_new_quarantine_is_logged_at_error_and_a_repeat_is_not(caplog: pytest.LogCaptureFixture) -> None:
    quarantine.quarantine(channel="sms", raw=b"x", reason="NUL in text", key="s1")
    quarantine.quarantine(channel="sms", raw=b"x", reason="NUL in text", key="s1")
    alerts = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(alerts) == 1 and "sms message quarantined" in alerts[0].getMessage()


def test_the_quarantine_and_outbox_speak_chinese() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Quarantine") == "隔离区"
        assert str(QuarantinedMessage._meta.verbose_name) == "隔离消息"
        assert str(QuarantinedMessage.State.HELD.label) == "隔离中"
        assert str(OutboxMessage.State.DEAD.label) == "已放弃"


def test_different_ids_never_share_a_key() -> None:
    assert quarantine.dedupe_key(b"x", "a\x00b") != quarantine.dedupe_key(b"x", "ab")
    long_one, long_two = "m" * 300 + "1", "m" * 300 + "2"
    assert len(quarantine.dedupe_key(b"x", long_one)) <= 255
    assert quarantine.dedupe_key(b"x", long_one) != quarantine.dedupe_key(b"x", long_two)
    assert quarantine.dedupe_key(b"one") != quarantine.dedupe_key(b"two")
    assert quarantine.dedupe_key(b"one", "  ") == quarantine.dedupe_key(b"one")


def test_every_channel_shows_its_label_held_count_last_error_and_when_on_the_page_and_in_admin(
        supervisor_client: Client, make_user: Callable[..., User]) -> None:
    quarantine.quarantine(channel="email", raw=b"mail 1", reason="MailLimitExceeded: over the parse time limit")
    quarantine.quarantine(channel="wechat", raw=b"<xml>", reason="old reason")
    quarantine.quarantine(channel="wechat", raw=b"<xml>", reason="ValueError: newest")  # the same message again
    by_channel = {status.channel: status for status in quarantine.channel_status()}
    # Every registered channel is listed, quiet ones too, each with its label.
    assert {"email", "wechat", "call", "sms", "weibo", "app"} <= set(by_channel)
    assert (by_channel["wechat"].held, by_channel["wechat"].last_error) == (1, "ValueError: newest")
    assert by_channel["call"].held == 0 and by_channel["call"].last_error_at is None
    with translation.override("zh-hans"):
        assert str(by_channel["wechat"].label) == "微信"
    page = supervisor_client.get("/desk/quarantine/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<th scope="row">微信</th>' in page and "<td>wechat</td>" not in page
    assert "ValueError: newest" in page and "over the parse time limit" in page
    admin = Client()
    admin.force_login(make_user("admin"))
    listing = admin.get("/admin/core/quarantinedmessage/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<th scope="row">WeChat</th>' in listing and "ValueError: newest" in listing
    assert 'title="WeChat">WeChat</a>' in listing or "?channel=wechat\">WeChat</a>" in listing
    filtered = admin.get("/admin/core/quarantinedmessage/?channel=email", HTTP_ACCEPT_LANGUAGE="en")
    assert list(filtered.context["cl"].result_list.values_list("channel", flat=True)) == ["email"]
