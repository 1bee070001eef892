"""Chats still waiting for an agent when the service hours end are told so, in their page's language, with
the leave-a-message offer, and leave the queue (chat.services.assign_waiting, run every minute by beat)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat import selectors, services
from chat.models import Conversation
from profiles.models import AgentProfile, User
from tests.chat.factories import start_chat
from tests.tickets.factories import SlaPolicyFactory, make_calendar

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_AFTERNOON = datetime(2026, 10, 14, 17, 50, tzinfo=SHANGHAI)
WEDNESDAY_EVENING = datetime(2026, 10, 14, 18, 1, tzinfo=SHANGHAI)  # the chat calendar closes at 18:00
THURSDAY_MORNING = datetime(2026, 10, 15, 9, 5, tzinfo=SHANGHAI)
CLOSED_EN = "We are closed right now, so no agent can join this chat."
CLOSED_ZH = "我们现在不在服务时间"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def at(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return at


@pytest.fixture
def busy_agent(make_user: Callable[..., User]) -> User:
    """Monday to Friday 9:00-18:00 for chat; the one agent online is full, so hand-offs wait."""
    SlaPolicyFactory.create(channel="chat", priority="normal", calendar=make_calendar(name="在线客服"))
    return make_user("agent", presence=AgentProfile.Presence.ONLINE, capacity=0)


def waiting_chat(customer: User, language: str) -> Conversation:
    conversation = start_chat(customer)
    services.conversation_handoff(conversation_id=conversation.pk, customer=customer, language=language)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    return conversation


def last_words(conversation: Conversation) -> tuple[str, str]:
    message = conversation.messages.order_by("-seq").first()
    assert message is not None
    return message.sender, message.body


def test_at_closing_time_waiting_chats_get_the_leave_a_message_offer_in_their_language_and_leave_the_queue(
    make_user: Callable[..., User], busy_agent: User, clock: Callable[[datetime], None],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock(WEDNESDAY_AFTERNOON)
    english = waiting_chat(make_user("customer"), "en")
    chinese = waiting_chat(make_user("customer"), "zh-hans")
    assert services.assign_waiting() == 0  # open, but nobody has room: they keep waiting
    assert [selectors.queue_position(english), selectors.queue_position(chinese)] == [1, 2]

    clock(WEDNESDAY_EVENING)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.assign_waiting() == 0

    english.refresh_from_db()
    chinese.refresh_from_db()
    assert (english.status, chinese.status) == ("bot", "bot")
    assert selectors.queue_position(english) is None and selectors.queue_position(chinese) is None
    sender, body = last_words(english)
    assert sender == "bot" and body.startswith(CLOSED_EN) and "/help/chat/#leave-message" in body
    sender, body = last_words(chinese)
    assert sender == "bot" and body.startswith(CLOSED_ZH) and "您" in body
    assert callbacks  # the customers' widgets and the desks' queues hear of it after commit

    # Told once: the next sweep finds nobody waiting and says nothing more.
    seqs = (english.last_seq, chinese.last_seq)
    assert services.assign_waiting() == 0
    english.refresh_from_db()
    chinese.refresh_from_db()
    assert (english.last_seq, chinese.last_seq) == seqs


def test_after_leaving_the_queue_the_customer_can_ask_for_an_agent_again_next_morning(
    make_user: Callable[..., User], busy_agent: User, clock: Callable[[datetime], None],
) -> None:
    customer = make_user("customer")
    clock(WEDNESDAY_AFTERNOON)
    conversation = waiting_chat(customer, "zh-hans")
    clock(WEDNESDAY_EVENING)
    services.assign_waiting()

    clock(THURSDAY_MORNING)
    AgentProfile.objects.filter(user=busy_agent).update(capacity=2)
    services.conversation_handoff(conversation_id=conversation.pk, customer=customer, language="zh-hans")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.agent_id) == ("active", busy_agent.pk)


def test_while_open_waiting_chats_stay_in_the_queue_when_nobody_has_room(
    make_user: Callable[..., User], busy_agent: User, clock: Callable[[datetime], None],
) -> None:
    clock(WEDNESDAY_AFTERNOON)
    conversation = waiting_chat(make_user("customer"), "en")
    assert services.assign_waiting() == 0
    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    assert not conversation.messages.filter(body__startswith=CLOSED_EN).exists()
