"""Chat writes: numbering, dedup, bot handoff, queue, capacity, edit/recall windows, read pointers."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from chat import selectors, services
from chat.errors import ChatError
from chat.models import ChatMessage, ChatSettings, Conversation, ReadReceipt
from chat.workflow import WORKFLOW
from core import events
from core.workflow import TransitionNotAllowed
from profiles.models import AgentProfile, User
from tests.chat.factories import chat_with_agent, say, start_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    return make_user("customer")


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("agent")


def test_start_greets_and_a_second_start_continues_the_same_conversation(customer: User) -> None:
    conversation, created = services.conversation_start(customer=customer)
    again, created_again = services.conversation_start(customer=customer)

    assert (created, created_again) == (True, False)
    assert again.pk == conversation.pk
    greeting = ChatMessage.objects.get(conversation=conversation)
    assert (greeting.seq, greeting.sender) == (1, "bot")
    assert "转人工" in greeting.body


def test_messages_are_numbered_in_order_and_a_retried_client_id_is_stored_once(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    start = conversation.last_seq
    first = services.message_send(conversation_id=conversation.pk, author=customer, body="你好 😀", client_id="c-1")
    retry = services.message_send(conversation_id=conversation.pk, author=customer, body="你好 😀", client_id="c-1")
    reply = say(conversation, agent, "您好 请问有什么可以帮您")

    assert first.created and not retry.created
    assert retry.message.pk == first.message.pk
    assert [first.message.seq, reply.seq] == [start + 1, start + 2]
    assert Conversation.objects.get(pk=conversation.pk).last_seq == start + 2
    assert ChatMessage.objects.filter(conversation=conversation, client_id="c-1").count() == 1


def test_strangers_cannot_send_and_bad_messages_write_nothing(customer: User, make_user: Callable[..., User]) -> None:
    conversation = start_chat(customer)
    stranger = make_user("customer")
    with pytest.raises(ChatError) as refused:
        say(conversation, stranger, "hi")
    assert refused.value.code == "not_found"
    with pytest.raises(ChatError) as empty:
        say(conversation, customer, "   ")
    assert empty.value.code == "empty"
    with pytest.raises(ChatError) as long:
        say(conversation, customer, "字" * 2001)
    assert long.value.code == "too_long"
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 1


def test_message_is_broadcast_only_after_commit(customer: User, django_capture_on_commit_callbacks) -> None:
    heard: list[int] = []

    def listen(event: events.DomainEvent) -> None:
        heard.append(event.payload["message"]["seq"])

    events.subscribe(services.MESSAGE_EVENT, listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as pending:
            conversation = start_chat(customer)
        assert heard == []
        for callback in pending:
            callback()
        assert heard == [1]
        heard.clear()
        with pytest.raises(RuntimeError), transaction.atomic():
            say(conversation, customer, "这条会回滚")
            raise RuntimeError
        assert heard == []
    finally:
        events.unsubscribe(services.MESSAGE_EVENT, listen)


def test_keyword_hands_over_to_the_queue_with_a_position(customer: User, make_user: Callable[..., User]) -> None:
    earlier = start_chat(make_user("customer"))
    services.conversation_handoff(conversation_id=earlier.pk, customer=earlier.customer)
    conversation = start_chat(customer)

    say(conversation, customer, "我要投诉 转人工")

    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    assert conversation.handoff_reason == "keyword"
    assert selectors.queue_position(conversation) == 2
    last = ChatMessage.objects.filter(conversation=conversation).order_by("-seq").first()
    assert last is not None and "第 2 位" in last.body


def test_two_unanswered_questions_hand_over(customer: User) -> None:
    conversation = start_chat(customer)
    say(conversation, customer, "你们的发票怎么开")
    assert Conversation.objects.get(pk=conversation.pk).status == "bot"
    say(conversation, customer, "发票抬头能改吗")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.handoff_reason, conversation.bot_misses) == ("waiting", "unanswered", 2)


def test_assign_takes_the_longest_waiting_and_respects_capacity(agent: User, make_user: Callable[..., User]) -> None:
    AgentProfile.objects.filter(user=agent).update(capacity=1)
    first, second = start_chat(make_user("customer")), start_chat(make_user("customer"))
    for conversation in (first, second):
        services.conversation_handoff(conversation_id=conversation.pk, customer=conversation.customer)

    taken = services.conversation_assign(agent=agent)

    assert taken.pk == first.pk
    assert (taken.status, taken.agent_id) == ("active", agent.pk)
    with pytest.raises(ChatError) as full:
        services.conversation_assign(agent=agent)
    assert full.value.code == "at_capacity"
    assert Conversation.objects.get(pk=second.pk).status == "waiting"
    assert list(Conversation.history.filter(id=first.pk).values_list("status", flat=True).order_by("history_id")) == [
        "bot", "waiting", "waiting", "active"
    ]


def test_only_agents_take_chats_and_a_taken_chat_cannot_be_taken_again(
    customer: User, agent: User, make_user: Callable[..., User]
) -> None:
    conversation = chat_with_agent(customer, agent)
    with pytest.raises(ChatError) as not_agent:
        services.conversation_assign(agent=make_user("supervisor"))
    assert not_agent.value.code == "not_agent"
    with pytest.raises(ChatError) as gone:
        services.conversation_assign(agent=make_user("agent"), conversation_id=conversation.pk)
    assert gone.value.code == "not_waiting"


def test_edit_within_window_and_limit(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    message = say(conversation, customer, "订单号 123")
    for number in range(1, 4):
        edited = services.message_edit(message_id=message.pk, user=customer, body=f"订单号 12{number}")
        assert edited.edit_count == number
    with pytest.raises(ChatError) as limit:
        services.message_edit(message_id=message.pk, user=customer, body="再改一次")
    assert limit.value.code == "edit_limit"
    with pytest.raises(ChatError) as not_author:
        services.message_edit(message_id=message.pk, user=agent, body="代改")
    assert not_author.value.code == "not_author"
    assert ChatMessage.objects.get(pk=message.pk).body == "订单号 123"
    assert ChatMessage.history.filter(id=message.pk).count() == 4


def test_history_keeps_what_was_sent_before_an_edit_and_a_recall(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    message = say(conversation, customer, "地址写错了")
    # Sending writes no history row: the first change records the message as it was sent.
    assert not ChatMessage.history.filter(id=message.pk).exists()

    services.message_edit(message_id=message.pk, user=customer, body="地址是 杭州市西湖区")
    services.message_recall(message_id=message.pk, user=customer)

    rows = list(ChatMessage.history.filter(id=message.pk).order_by("history_date", "history_id"))
    assert [(row.history_type, row.body) for row in rows] == [
        ("+", "地址写错了"), ("~", "地址是 杭州市西湖区"), ("~", "")
    ]
    assert rows[0].history_date == message.created_at and rows[0].history_user_id == customer.pk


def test_edit_and_recall_after_the_window_change_nothing(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    message = say(conversation, customer, "旧消息")
    ChatMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    for action in (
        lambda: services.message_edit(message_id=message.pk, user=customer, body="新"),
        lambda: services.message_recall(message_id=message.pk, user=customer),
    ):
        with pytest.raises(ChatError) as late:
            action()
        assert late.value.code == "window_passed"
    unchanged = ChatMessage.objects.get(pk=message.pk)
    assert (unchanged.body, unchanged.edit_count, unchanged.recalled_at) == ("旧消息", 0, None)


def test_admin_can_widen_the_window(customer: User, agent: User) -> None:
    row = ChatSettings.load()
    row.recall_window_seconds = 600
    row.save()
    conversation = chat_with_agent(customer, agent)
    message = say(conversation, customer, "发错了")
    ChatMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    recalled = services.message_recall(message_id=message.pk, user=customer)

    assert recalled.recalled_at is not None


def test_recalled_message_keeps_its_place_but_not_its_content(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    message = say(conversation, customer, "我的手机号是 13800001111")

    services.message_recall(message_id=message.pk, user=customer)

    messages, _more = selectors.history_page(conversation.pk)
    shown = next(item for item in messages if item.pk == message.pk)
    assert shown.is_recalled and shown.body == ""
    with pytest.raises(ChatError) as again:
        services.message_recall(message_id=message.pk, user=customer)
    assert again.value.code == "recalled"


def test_read_pointer_only_moves_forward_and_counts_unread(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    for number in range(3):
        say(conversation, customer, f"消息{number}")
    chats = selectors.agent_conversations(agent)
    unread = chats[0].unread  # type: ignore[attr-defined]
    assert unread == Conversation.objects.get(pk=conversation.pk).last_seq

    assert services.mark_read(conversation_id=conversation.pk, user=agent, seq=4) == 4
    assert services.mark_read(conversation_id=conversation.pk, user=agent, seq=2) == 4
    assert services.mark_read(conversation_id=conversation.pk, user=agent, seq=999) == conversation.last_seq + 3
    assert selectors.agent_conversations(agent)[0].unread == 0  # type: ignore[attr-defined]
    assert ReadReceipt.objects.filter(conversation=conversation).count() == 2


def test_history_pages_and_gap(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    for number in range(60):
        say(conversation, customer, f"第{number}条")
    last_seq = Conversation.objects.get(pk=conversation.pk).last_seq

    newest, more = selectors.history_page(conversation.pk)
    older, more_older = selectors.history_page(conversation.pk, before_seq=newest[0].seq)
    gap, gap_more = selectors.history_since(conversation.pk, after_seq=last_seq - 5)

    assert [m.seq for m in newest] == list(range(last_seq - 49, last_seq + 1)) and more
    assert [m.seq for m in older] == list(range(1, last_seq - 49)) and not more_older
    assert [m.seq for m in gap] == list(range(last_seq - 4, last_seq + 1)) and not gap_more


def test_end_then_rate_once(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    with pytest.raises(ChatError) as early:
        services.conversation_rate(conversation_id=conversation.pk, customer=customer, rating=5)
    assert early.value.code == "invalid_transition"
    services.conversation_end(conversation_id=conversation.pk, user=agent)
    with pytest.raises(ChatError) as closed:
        say(conversation, customer, "还在吗")
    assert closed.value.code == "conversation_ended"
    with pytest.raises(ChatError) as bad:
        services.conversation_rate(conversation_id=conversation.pk, customer=customer, rating=6)
    assert bad.value.code == "invalid_rating"

    rated = services.conversation_rate(conversation_id=conversation.pk, customer=customer, rating=5, comment="很快")

    assert (rated.status, rated.rating, rated.rating_comment) == ("ended", 5, "很快")
    with pytest.raises(ChatError):
        services.conversation_rate(conversation_id=conversation.pk, customer=customer, rating=1)
    # Ended: the customer may start afresh.
    assert services.conversation_start(customer=customer)[1] is True


def test_workflow_refuses_transitions_that_are_not_in_the_table(customer: User) -> None:
    conversation = start_chat(customer)
    with pytest.raises(TransitionNotAllowed) as caught:
        WORKFLOW.transition(conversation, to="active")
    assert caught.value.allowed == ["waiting", "ended"]
    with pytest.raises(TransitionNotAllowed):
        WORKFLOW.transition(conversation, to="fly")
    assert Conversation.objects.get(pk=conversation.pk).status == "bot"
