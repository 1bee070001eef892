"""The chat console's side panels: the selected customer's orders and open requests (through the
customer-facts registry) and canned responses filled for the chat."""

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.services import logistics, setup
from profiles.models import User
from tests.aftersales.factories import apply, make_order
from tests.chat.factories import chat_with_agent
from tests.pages.conftest import page_text
from tickets.models import CannedResponse

pytestmark = pytest.mark.django_db

CONSOLE = "/desk/chats/"


@pytest.fixture(autouse=True)
def _reference(db: None) -> None:
    setup.reference_data_ensure()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel(html: str, element_id: str) -> str:
    found = re.search(rf'<ul class="customer-facts" id="{element_id}">(.*?)</ul>', html, re.S)
    assert found is not None, element_id
    return found.group(1)


def canned_data(html: str) -> list[dict[str, str]]:
    found = re.search(r'<script id="canned-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_selected_customers_orders_and_open_requests_and_nobody_elses(make_user: Callable[..., User]) -> None:
    agent, customer, stranger = make_user("agent"), make_user("customer"), make_user("customer")
    order = make_order(customer=customer, signed_days_ago=None)
    parcel = order.shipments.get()
    logistics.tracking_record(courier="SF", tracking_number=parcel.tracking_number, kind="delivering",
                              occurred_at=timezone.now() - timedelta(hours=2), description="【北京】派送中")
    request = apply(make_order(customer=customer))
    their_order = make_order(customer=stranger)
    their_request = apply(their_order)
    conversation = chat_with_agent(customer, agent)

    html = page_text(logged_in(agent).get(f"{CONSOLE}?c={conversation.pk}"))

    orders = panel(html, "customer-orders")
    assert order.number in orders and parcel.tracking_number in orders and "【北京】派送中" in orders
    requests = panel(html, "customer-requests")
    assert request.number in requests and str(request.get_status_display()) in requests
    assert their_order.number not in html and their_request.number not in html


def test_a_customer_without_orders_gets_the_empty_lines(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    conversation = chat_with_agent(make_user("customer"), agent)
    html = page_text(logged_in(agent).get(f"{CONSOLE}?c={conversation.pk}"))
    assert "暂无订单" in panel(html, "customer-orders")
    assert "暂无进行中的售后申请" in panel(html, "customer-requests")


def test_canned_responses_are_filled_for_the_chat_and_personal_ones_stay_personal(
    make_user: Callable[..., User]
) -> None:
    agent, colleague, customer = make_user("agent"), make_user("agent"), make_user("customer")
    order = make_order(customer=customer)
    CannedResponse.objects.create(
        title="问候", shortcut="hi",
        body="{{ customer.name }}您好 我是{{ agent.name }} 订单 {{ order.number }} {{ foo.bar }}",
    )
    CannedResponse.objects.create(title="我的签名", body="—— {{ agent.name }}", owner=agent)
    CannedResponse.objects.create(title="别人的签名", body="—— 同事", owner=colleague)
    conversation = chat_with_agent(customer, agent)

    html = page_text(logged_in(agent).get(f"{CONSOLE}?c={conversation.pk}"))

    canned = {item["title"]: item for item in canned_data(html)}
    assert set(canned) == {"问候", "我的签名"}
    assert canned["问候"]["text"] == f"{customer}您好 我是{agent} 订单 {order.number} {{{{ foo.bar }}}}"
    assert canned["问候"]["shortcut"] == "hi"
    assert canned["我的签名"]["text"] == f"—— {agent}"
    assert 'id="canned-picker"' in html and "chat/canned.js" in html


def test_without_canned_responses_there_is_no_picker(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    conversation = chat_with_agent(make_user("customer"), agent)
    html = page_text(logged_in(agent).get(f"{CONSOLE}?c={conversation.pk}"))
    assert 'id="canned-picker"' not in html and "canned-data" not in html


def test_panel_query_count_does_not_grow_with_orders_requests_or_responses(
    make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    agent, customer = make_user("agent"), make_user("customer")
    make_order(customer=customer)
    CannedResponse.objects.create(title="a", body="{{ customer.name }}")
    conversation = chat_with_agent(customer, agent)
    client = logged_in(agent)
    url = f"{CONSOLE}?c={conversation.pk}"
    client.get(url)  # warms the configuration cache (permissions, settings), as on a running desk
    with django_assert_max_num_queries(40) as before:
        client.get(url)
    for n in range(4):
        order = make_order(customer=customer)
        logistics.tracking_record(courier="SF", tracking_number=order.shipments.get().tracking_number,
                                  kind="in_transit", occurred_at=timezone.now(), description=f"扫描 {n}")
        apply(order)
        CannedResponse.objects.create(title=f"r{n}", body="{{ order.number }}")
    client.get(url)  # the responses written since load into the cache once
    with django_assert_max_num_queries(40) as after:
        html = page_text(client.get(url))
    assert panel(html, "customer-orders").count("<li>") == 5
    assert panel(html, "customer-requests").count("<li>") == 4
    assert len(canned_data(html)) == 5
    assert len(after.captured_queries) == len(before.captured_queries)
