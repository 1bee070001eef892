"""In a real browser: a shop page includes the embed script with a signed token; the chat opens in an
iframe as that customer, and the assistant answers a parcel question from the customer's order."""

from typing import Any

import pytest

from aftersales.services import setup
from chat.embed import token_for
from tests.aftersales.factories import make_order
from tests.browser import ARTIFACTS, in_thread
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_may_frame(settings: Any) -> None:
    # Set before the live server forks; the port is not known yet, so any port of the test host.
    settings.CHAT_EMBED_ORIGINS = ["http://localhost:*"]


def _customer_with_order() -> tuple[str, str]:
    setup.reference_data_ensure()
    customer = CustomerProfileFactory.create(user__display_name="周小芸").user
    order = make_order(customer=customer, signed_days_ago=None)
    external_id = customer.customer_profile.external_id
    assert external_id
    return external_id, order.number


def test_widget_on_a_shop_page(shop_may_frame: None, asgi_live_server: str, chromium_page: Any) -> None:
    external_id, order_number = in_thread(_customer_with_order)
    token = token_for(external_id=external_id)
    shop_html = f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>示例商城</title></head>
<body><h1>示例商城</h1><p>商品详情……</p>
<script src="{asgi_live_server}/help/chat/embed.js" data-token="{token}" async></script></body></html>"""
    page = chromium_page
    page.route(f"{asgi_live_server}/shop-demo.html",
               lambda route: route.fulfill(status=200, content_type="text/html", body=shop_html))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{asgi_live_server}/shop-demo.html")
    page.click("#sc-chat-button")
    frame = page.frame_locator("#sc-chat-frame")
    frame.locator("#chat-start").click()
    frame.locator("#chat-live[data-state=open]").wait_for()
    frame.locator(".msg--bot").first.wait_for()
    frame.locator("#chat-input").fill("我的快递到哪了")
    frame.locator("#chat-input").press("Enter")
    frame.locator(f".msg--bot:has-text('{order_number}')").wait_for()
    assert frame.locator(".topbar").count() == 0
    frame.locator("#chat-handoff").wait_for()
    page.screenshot(path=str(ARTIFACTS / "chat-embed-shop.png"))

    page.click("#sc-chat-button")
    assert page.locator("#sc-chat-frame").is_hidden()
    assert errors == []
