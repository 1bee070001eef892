"""The assistant answers order and refund questions from the customer's own records, never anyone else's."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.services import logistics, setup
from chat.models import ChatMessage, Conversation
from chat.order_questions import ORDER_ANSWER_CONFIDENCE, intent_of
from profiles.models import User
from tests.aftersales.factories import apply, make_order
from tests.chat.factories import say, start_chat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference(db: None) -> None:
    setup.reference_data_ensure()


def bot_reply(conversation: Conversation) -> ChatMessage:
    line = ChatMessage.objects.filter(conversation=conversation, sender="bot").order_by("-seq").first()
    assert line is not None
    return line


@pytest.mark.parametrize(("text", "intent"), [
    ("我的快递到哪了", "logistics"),
    ("订单发货了吗", "logistics"),
    ("包裹什么时候到", "logistics"),
    ("Where is my parcel?", "logistics"),
    ("Has my order shipped yet?", "logistics"),
    ("退款到哪一步了", "refund"),
    ("退款什么时候到账", "refund"),
    ("What is the status of my refund?", "refund"),
    # Knowledge questions that merely mention a subject stay with the knowledge base.
    ("退货运费由谁承担", None),
    ("你们支持火星配送吗", None),
    ("How do I return a gift?", None),
])
def test_the_keyword_table_recognises_order_questions(text: str, intent: str | None) -> None:
    assert intent_of(text) == intent


def test_where_is_my_parcel_answers_with_the_latest_scan(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    make_order(customer=customer, shipped=False, now=timezone.now() - timedelta(days=5))
    order = make_order(customer=customer, signed_days_ago=None)
    parcel = order.shipments.get()
    logistics.tracking_record(courier="SF", tracking_number=parcel.tracking_number, kind="delivering",
                              occurred_at=timezone.now() - timedelta(hours=1), description="【上海浦东】快递员派送中")
    conversation = start_chat(customer)

    say(conversation, customer, "我的快递到哪了")

    reply = bot_reply(conversation)
    assert order.number in reply.body and parcel.tracking_number in reply.body
    assert "顺丰速运" in reply.body and "【上海浦东】快递员派送中" in reply.body
    assert f"/aftersales/orders/{order.pk}/" in reply.body
    assert reply.bot_confidence == ORDER_ANSWER_CONFIDENCE
    conversation.refresh_from_db()
    assert (conversation.status, conversation.bot_misses) == ("bot", 0)


def test_an_unshipped_order_is_said_so_in_english(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    customer.preferred_language = "en"
    customer.save(update_fields=["preferred_language"])
    order = make_order(customer=customer, shipped=False)
    conversation = start_chat(customer)

    say(conversation, customer, "Has my order shipped yet?")

    body = bot_reply(conversation).body
    assert f"Your latest order {order.number} is “Paid”." in body
    assert "It has not been shipped yet." in body


def test_a_signed_parcel_gives_its_signed_date_in_chinese(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    order = make_order(customer=customer, signed_days_ago=1)
    signed = timezone.localtime(order.shipments.get().signed_at).strftime("%Y-%m-%d %H:%M")
    conversation = start_chat(customer)

    say(conversation, customer, "订单发货了吗")

    body = bot_reply(conversation).body
    assert f"您最近的订单 {order.number}" in body and f"已于 {signed} 签收" in body


def test_refund_progress_names_the_open_refund_request(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    request = apply(make_order(customer=customer))
    conversation = start_chat(customer)

    say(conversation, customer, "退款到哪一步了")

    body = bot_reply(conversation).body
    assert request.number in body and str(request.get_status_display()) in body
    assert f"/aftersales/requests/{request.number}/" in body


def test_another_customers_orders_are_never_quoted(make_user: Callable[..., User]) -> None:
    stranger = make_user("customer")
    their_order = make_order(customer=stranger)
    their_request = apply(their_order)
    customer = make_user("customer")
    conversation = start_chat(customer)

    say(conversation, customer, "我的快递到哪了")
    say(conversation, customer, "退款到哪一步了")

    texts = " ".join(ChatMessage.objects.filter(conversation=conversation).values_list("body", flat=True))
    assert their_order.number not in texts and their_request.number not in texts
    assert their_order.shipments.get().tracking_number not in texts
    # Nothing of their own to say: the knowledge base was asked, missed twice, and a person takes over.
    conversation.refresh_from_db()
    assert (conversation.status, conversation.handoff_reason) == ("waiting", "unanswered")


def test_a_refund_question_without_an_open_refund_falls_back(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    make_order(customer=customer)
    conversation = start_chat(customer)

    say(conversation, customer, "退款到哪一步了")

    reply = bot_reply(conversation)
    assert "转人工" in reply.body and reply.bot_confidence is None
    conversation.refresh_from_db()
    assert conversation.bot_misses == 1
