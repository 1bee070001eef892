"""In a real browser on National Day: the widget is a leave-a-message form, the message gets its automatic
reply with the promised time; then an agent turns a chat into a ticket from the console."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat.models import Conversation
from profiles.models import User
from tests.browser import ARTIFACTS, in_thread
from tests.chat.factories import chat_with_agent, say
from tests.chat.test_browser import session_cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory
from tests.tickets.factories import CategoryFactory, SlaPolicyFactory, make_calendar
from tickets.models import Ticket

pytestmark = pytest.mark.browser

NATIONAL_DAY = datetime(2026, 10, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Scene:
    customer: User
    agent: User
    chat: Conversation
    # Signed in before Playwright starts: once its loop runs in this thread, the ORM refuses to.
    customer_cookie: dict[str, Any]
    agent_cookie: dict[str, Any]


@pytest.fixture
def national_day(monkeypatch: pytest.MonkeyPatch) -> None:
    # Patched before the live server forks, so Daphne's clock says National Day too.
    monkeypatch.setattr(timezone, "now", lambda: NATIONAL_DAY)


@pytest.fixture
def scene(national_day: None, asgi_live_server: str) -> Iterator[Scene]:
    calendar = make_calendar(name="在线客服")
    for priority, minutes in {"low": 240, "normal": 60, "high": 30, "urgent": 15}.items():
        SlaPolicyFactory.create(channel="chat", priority=priority, first_response_minutes=minutes, calendar=calendar)
    CategoryFactory.create(name="物流配送")
    customer = CustomerProfileFactory.create(user__display_name="周小芸", user__phone="13812345678").user
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    chat = chat_with_agent(CustomerProfileFactory.create(user__display_name="李明").user, agent)
    say(chat, chat.customer, "我的快递三天没更新了，单号 SF1234567890")  # noqa: RUF001
    say(chat, agent, "您好，我是客服王磊，马上帮您查询物流")  # noqa: RUF001
    yield Scene(customer=customer, agent=agent, chat=chat,
                customer_cookie=session_cookie(customer, asgi_live_server),
                agent_cookie=session_cookie(agent, asgi_live_server))


def test_leave_a_message_on_national_day_then_chat_to_ticket(scene: Scene, asgi_live_server: str,
                                                             chromium_page: Any) -> None:
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([scene.customer_cookie])

    page.goto(f"{asgi_live_server}/help/chat/")
    page.wait_for_selector("#leave-message-form")
    assert "我们现在下班了" in page.locator("#leave-message").inner_text()
    page.click("#leave-message-send")  # empty: the description is named as missing
    page.wait_for_selector("#id_description_errors")
    page.select_option("#id_category", label="物流配送")
    page.select_option("#id_priority", "urgent")
    page.check("input[name=contact][value=phone]")
    page.fill("#id_description", "快递显示已签收，但我没有收到，麻烦核实。")  # noqa: RUF001
    page.screenshot(path=str(ARTIFACTS / "chat-leave-message.png"), full_page=True)
    page.click("#leave-message-send")
    page.wait_for_selector("#auto-reply")
    reply = page.locator("#auto-reply").inner_text()
    assert "2026-10-08 09:15" in reply and "北京时间" in reply
    page.screenshot(path=str(ARTIFACTS / "chat-message-left.png"), full_page=True)
    ticket = in_thread(lambda: Ticket.objects.select_related("category").get(customer=scene.customer))
    assert ticket.category is not None
    assert (ticket.priority, ticket.source, ticket.category.name) == ("urgent", "leave_message", "物流配送")

    page.context.clear_cookies()
    page.context.add_cookies([scene.agent_cookie])
    page.goto(f"{asgi_live_server}/desk/chats/?c={scene.chat.pk}")
    page.click("#chat-ticket")
    page.wait_for_selector("#chat-ticket-form")
    assert "单号 SF1234567890" in page.locator("#transcript-1").inner_text()
    page.fill("#id_subject", "物流三天未更新")
    page.screenshot(path=str(ARTIFACTS / "chat-to-ticket.png"), full_page=True)
    page.click("#chat-ticket-submit")
    page.wait_for_selector("#chat-ticket-linked")
    created = in_thread(lambda: Conversation.objects.select_related("ticket").get(pk=scene.chat.pk).ticket)
    assert created is not None and created.number in page.locator("#chat-ticket-linked").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-to-ticket-linked.png"), full_page=True)
    assert errors == []
