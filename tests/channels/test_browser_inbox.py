"""The unified inbox in a real browser: tickets from WeChat and the phone side by side with channel badges,
the channel filter, and a call recording that plays on the ticket page (screenshots of both)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from profiles.roles import Role
from tests.browser import ARTIFACTS, in_thread
from tests.channels.test_calls import wav_bytes
from tests.factories import CustomerProfileFactory, UserFactory
from tickets.channels import calls
from tickets.channels.inbound import inbound_message
from tickets.models import CallRecord, Channel

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path / "attachments")
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), display_name="周主管")
    phone_system = UserFactory.create(roles=(Role.INTEGRATOR,))
    customer = CustomerProfileFactory.create(user__display_name="陈晓", user__phone="13900139000").user
    message, _ = inbound_message(channel=Channel.WECHAT, account="wx1", external_id="m1", customer=customer,
                                 body="公众号留言 发票怎么开", source="wx1")
    call, _ = calls.call_start(call_id="CALL-1", phone="13900139000", actor=phone_system, ivr_path=["1 售后"],
                               started_at=datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    calls.call_recording_store(call=call, content=wav_bytes(1.0))
    client = Client()
    client.force_login(supervisor)
    return {"cookie": client.cookies[settings.SESSION_COOKIE_NAME].value, "wechat": message.ticket,
            "phone": call.ticket}


def test_both_channels_in_one_queue_and_the_recording_plays(inbox: dict[str, Any], asgi_live_server: str,
                                                            chromium_page: Any) -> None:
    host = asgi_live_server.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": inbox["cookie"],
                                        "domain": host, "path": "/"}])
    chromium_page.goto(f"{asgi_live_server}/desk/tickets/?view=unassigned")
    rows = chromium_page.locator("tr.tk-row")
    assert rows.count() == 2
    assert [chromium_page.locator(f".tk-channel--{channel}").count() for channel in ("wechat", "phone")] == [1, 1]
    chromium_page.screenshot(path=str(ARTIFACTS / "channels-inbox.png"), full_page=True)
    chromium_page.goto(f"{asgi_live_server}/desk/tickets/?view=unassigned&channel=wechat")
    assert chromium_page.locator("tr.tk-row").count() == 1
    assert inbox["wechat"].number in chromium_page.locator("tr.tk-row").inner_text()

    chromium_page.goto(f"{asgi_live_server}/desk/tickets/{inbox['phone'].pk}/")
    audio = chromium_page.locator("#calls audio")
    audio.wait_for()
    # The browser fetched the recording through the desk's permission check and could decode it.
    chromium_page.evaluate("() => { const a = document.querySelector('#calls audio'); a.preload = 'metadata';"
                           " a.load(); }")
    duration = chromium_page.wait_for_function(
        "() => { const a = document.querySelector('#calls audio'); return a.readyState >= 1 && a.duration; }"
    ).json_value()
    assert 0.9 < duration < 1.1
    assert "1 售后" in chromium_page.locator("#calls").inner_text()
    chromium_page.screenshot(path=str(ARTIFACTS / "channels-call-ticket.png"), full_page=True)
    assert in_thread(lambda: CallRecord.objects.get().recording_type) == "audio/wav"
