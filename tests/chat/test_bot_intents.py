"""The assistant routes by intent: how-to questions to the knowledge base even when they mention 发货 or 投诉,
the customer's records only for their own case, a complaint to file to a person with the form, an unsure
answer as "did you mean" plus a person, and odd input never an error nor anyone else's order."""

from collections.abc import Callable

import pytest

from aftersales.services import setup
from chat.models import ChatMessage, Conversation
from profiles.models import User
from tests.aftersales.factories import make_order
from tests.chat.factories import say, start_chat
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference(db: None) -> None:
    setup.reference_data_ensure()


def bot_lines(conversation: Conversation) -> str:
    return "\n".join(ChatMessage.objects.filter(conversation=conversation).values_list("body", flat=True))


def test_asking_how_to_complain_is_answered_not_handed_over(make_user: Callable[..., User]) -> None:
    ArticleFactory.create(slug="complaint-merchant", title_zh="如何投诉商家", question_zh="怎么投诉商家\n投诉店铺",
                          body_zh="在订单详情点击投诉商家 填写原因并上传凭证。")
    customer = make_user("customer")
    conversation = start_chat(customer)
    say(conversation, customer, "怎么投诉商家")
    conversation.refresh_from_db()
    assert conversation.status == "bot"
    assert "/help/articles/complaint-merchant/" in bot_lines(conversation)


def test_a_complaint_to_file_goes_to_a_person_with_the_form(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    say(conversation, customer, "我要投诉这个商家")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.handoff_reason) == ("waiting", "complaint")
    assert "/aftersales/" in bot_lines(conversation)


def test_a_general_shipping_question_is_not_answered_from_the_records(make_user: Callable[..., User]) -> None:
    ArticleFactory.create(slug="shipping-time", title_zh="下单后多久发货", question_zh="一般几天发货\n什么时候发货",
                          body_zh="现货商品付款后48小时内发货。")
    customer = make_user("customer")
    order = make_order(customer=customer)
    conversation = start_chat(customer)
    say(conversation, customer, "发货一般要几天")
    text = bot_lines(conversation)
    assert order.number not in text
    assert "/help/articles/shipping-time/" in text


def test_an_unsure_answer_offers_three_articles_and_a_person(make_user: Callable[..., User]) -> None:
    for number, title in enumerate(["会员积分规则", "会员等级说明", "会员续费说明", "会员权益介绍"]):
        ArticleFactory.create(slug=f"member-{number}", title_zh=title, body_zh=f"{title}的详细内容。")
    customer = make_user("customer")
    conversation = start_chat(customer)
    say(conversation, customer, "会员")
    reply = ChatMessage.objects.filter(conversation=conversation, sender="bot").order_by("-seq").first()
    assert reply is not None
    assert all(f"{number}. " in reply.body for number in (1, 2, 3))
    conversation.refresh_from_db()
    assert (conversation.status, conversation.bot_misses) == ("bot", 1)


@pytest.mark.parametrize("text", ["😀😀😀", "退" * 2000, "退款refund多久到账?", "a\u202eb"])
def test_odd_messages_get_a_reply_never_an_error(make_user: Callable[..., User], text: str) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    say(conversation, customer, text)
    assert ChatMessage.objects.filter(conversation=conversation, sender__in=["bot", "system"]).count() >= 2


def test_a_pasted_order_number_of_another_customer_reveals_nothing(make_user: Callable[..., User]) -> None:
    their_order = make_order(customer=make_user("customer"))
    customer = make_user("customer")
    own_order = make_order(customer=customer)
    conversation = start_chat(customer)
    say(conversation, customer, their_order.number)
    text = bot_lines(conversation).replace(their_order.number, "", 1)  # the customer's own message holds it once
    assert their_order.number not in text
    assert their_order.shipments.get().tracking_number not in text
    say(conversation, customer, f"订单 {own_order.number}")
    reply = ChatMessage.objects.filter(conversation=conversation, sender="bot").order_by("-seq").first()
    assert reply is not None and own_order.number in reply.body
