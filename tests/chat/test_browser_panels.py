"""In a real browser: the assistant answers a parcel question from the customer's order, and the agent's
console shows the customer's orders and open requests and inserts a filled canned response."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aftersales.services import logistics, setup
from chat import services
from chat.models import ChatMessage
from tests.aftersales.factories import apply, make_order
from tests.browser import ARTIFACTS, in_thread
from tests.chat.factories import say, start_chat
from tests.chat.test_browser import session_cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory
from tickets.models import CannedResponse

pytestmark = pytest.mark.browser


def _world() -> dict[str, Any]:
    setup.reference_data_ensure()
    customer = CustomerProfileFactory.create(user__display_name="周小芸").user
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    order = make_order(customer=customer, signed_days_ago=None)
    parcel = order.shipments.get()
    logistics.tracking_record(courier="SF", tracking_number=parcel.tracking_number, kind="delivering",
                              occurred_at=timezone.now() - timedelta(hours=1), description="【上海浦东】快递员派送中")
    # An older order under a refund request, so the parcel question is about the newer one.
    request = apply(make_order(customer=customer, now=timezone.now() - timedelta(days=3)))
    CannedResponse.objects.create(
        title="查询物流", shortcut="wl",
        body="{{ customer.name }}您好 订单 {{ order.number }} 正在派送 "
             "请留意电话。—— {{ agent.name }}",
    )
    conversation = start_chat(customer)
    say(conversation, customer, "我的快递到哪了")
    bot_line = ChatMessage.objects.filter(conversation=conversation, sender="bot").order_by("-seq").first()
    services.conversation_handoff(conversation_id=conversation.pk, customer=customer)
    services.conversation_assign(agent=agent, conversation_id=conversation.pk)
    return {"agent": agent, "order": order, "request": request, "conversation": conversation,
            "bot_line": bot_line.body if bot_line else ""}


def test_console_panels_and_canned_picker(asgi_live_server: str, chromium_page: Any) -> None:
    world = in_thread(_world)
    assert world["order"].number in world["bot_line"] and "【上海浦东】快递员派送中" in world["bot_line"]
    page = chromium_page
    page.context.add_cookies([in_thread(lambda: session_cookie(world["agent"], asgi_live_server))])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{asgi_live_server}/desk/chats/?c={world['conversation'].pk}")
    page.wait_for_selector("#chat-live[data-state=open]")
    page.wait_for_selector(f".msg:has-text('{world['order'].number}')")
    assert world["order"].number in page.locator("#customer-orders").inner_text()
    assert "【上海浦东】快递员派送中" in page.locator("#customer-orders").inner_text()
    assert world["request"].number in page.locator("#customer-requests").inner_text()

    page.select_option("#canned-picker", label="查询物流 (/wl)")
    expected = f"周小芸您好 订单 {world['order'].number} 正在派送 请留意电话。—— 王磊"
    assert page.input_value("#chat-input") == expected
    page.click("#chat-send")
    page.wait_for_selector(f".msg--mine:has-text('{world['order'].number} 正在派送')")
    page.screenshot(path=str(ARTIFACTS / "chat-console-panels.png"), full_page=True)
    assert errors == []
