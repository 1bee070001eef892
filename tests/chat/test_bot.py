"""The assistant: knowledge-base answers with a confidence, and handoff when it cannot help."""

from collections.abc import Callable

import pytest

from chat.models import ChatMessage, Conversation
from knowledge.models import UnansweredQuestion
from profiles.models import User
from tests.chat.factories import say, start_chat
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def last_bot_line(conversation: Conversation) -> ChatMessage:
    line = ChatMessage.objects.filter(conversation=conversation, sender="bot").order_by("-seq").first()
    assert line is not None
    return line


def test_a_question_the_knowledge_base_answers_gets_the_article(make_user: Callable[..., User]) -> None:
    # The question is one the article stores: with the threshold read off a lower precision bound, a lone
    # article matched only through its title (which also holds the factory's English title) is "did you mean".
    article = ArticleFactory.create(
        slug="return-shipping-fee", title_zh="退货运费由谁承担", question_zh="退货运费由谁承担\n退货运费谁出",
        body_zh="因质量问题退货 运费由商家承担 七天无理由退货 运费由买家承担",
    )
    customer = make_user("customer")
    conversation = start_chat(customer)

    say(conversation, customer, "退货运费由谁承担")

    reply = last_bot_line(conversation)
    assert reply.body.startswith("退货运费由谁承担")
    assert f"/help/articles/{article.slug}/" in reply.body
    assert reply.bot_confidence is not None and reply.bot_confidence >= 0.5
    conversation.refresh_from_db()
    assert (conversation.status, conversation.bot_misses) == ("bot", 0)


def test_unanswered_questions_are_logged_and_two_of_them_hand_over(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)

    say(conversation, customer, "你们支持火星配送吗")
    assert "转人工" in last_bot_line(conversation).body
    say(conversation, customer, "那月球呢")

    conversation.refresh_from_db()
    assert (conversation.status, conversation.handoff_reason) == ("waiting", "unanswered")
    assert UnansweredQuestion.objects.filter(customer=customer).count() == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [("我要投诉", "complaint"), ("转人工", "keyword"), ("给我转真人", "keyword"), ("什么破服务!!!", "angry")],
)
def test_keywords_and_anger_hand_over_at_once(make_user: Callable[..., User], text: str, reason: str) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    say(conversation, customer, text)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.handoff_reason) == ("waiting", reason)
    assert not UnansweredQuestion.objects.exists()
