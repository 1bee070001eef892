"""`/ws/chat/<id>/` through the whole ASGI stack: auth, membership, ordering, acks, edit/recall,
read receipts, typing, history pages, gap fill, and bad frames that leave the socket open."""

import asyncio
import copy
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from chat import consumers, services
from chat.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from chat.models import ChatMessage, Conversation
from chat.realtime import collecting_pushes
from service_center.asgi import application
from tests.chat.factories import chat_with_agent, say, start_chat
from tests.realtime.conftest import ALLOWED_ORIGIN, TIMEOUT, Login
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture
async def open_chat() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketCommunicator] = []

    async def open_(conversation_id: int, login: Login | None) -> tuple[WebsocketCommunicator, bool]:
        headers = [(b"origin", ALLOWED_ORIGIN.encode())]
        if login is not None:
            headers.append((b"cookie", login.cookie_header.encode()))
        communicator = WebsocketCommunicator(application, f"/ws/chat/{conversation_id}/", headers=headers)
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        return communicator, connected

    yield open_
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


@pytest_asyncio.fixture
async def pair(login_as: Callable[[str], Login]) -> tuple[Login, Login, Conversation]:
    customer, agent = await sync_to_async(login_as)("customer"), await sync_to_async(login_as)("agent")
    conversation = await sync_to_async(chat_with_agent)(customer.user, agent.user)
    return customer, agent, conversation


async def receive(socket: WebsocketCommunicator, frame_type: str) -> dict[str, Any]:
    """The next frame of `frame_type`, skipping others (typing, read, conversation) in between."""
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == frame_type:
            return frame


async def test_join_sends_history_and_send_is_acked_and_delivered_in_order(pair: Any, open_chat: Any) -> None:
    customer, agent, conversation = pair
    customer_socket, _ = await open_chat(conversation.pk, customer)
    agent_socket, _ = await open_chat(conversation.pk, agent)
    joined = await receive(customer_socket, "history")
    assert joined["role"] == "customer"
    assert joined["conversation"]["status"] == "active"
    assert [m["seq"] for m in joined["messages"]] == list(range(1, conversation.last_seq + 1))
    await receive(agent_socket, "history")

    for number in range(3):
        await customer_socket.send_json_to({"type": "send", "client_id": f"c{number}", "body": f"第{number}条 😀"})
    acks = [await receive(customer_socket, "ack") for _ in range(3)]
    delivered = [await receive(agent_socket, "message") for _ in range(3)]

    first = conversation.last_seq + 1
    assert [(a["client_id"], a["seq"]) for a in acks] == [("c0", first), ("c1", first + 1), ("c2", first + 2)]
    assert [m["message"]["seq"] for m in delivered] == [first, first + 1, first + 2]
    assert delivered[0]["message"]["body"] == "第0条 😀"
    assert delivered[0]["message"]["sender"] == "customer"
    assert await sync_to_async(ChatMessage.objects.filter(conversation=conversation).count)() == first + 2


async def test_a_line_stored_while_the_socket_joins_is_pushed_after_the_history(
    pair: Any, open_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The agent answers just after the customer's history was read: the socket is already subscribed,
    # so the line comes as a push rather than being in neither the history nor the live stream.
    customer, agent, conversation = pair
    read_history = consumers._join_frame

    def history_then_agent_answers(user: Any, conversation_id: int) -> dict[str, Any]:
        frame = read_history(user, conversation_id)
        say(conversation, agent.user, "刚好这时回复")
        return frame

    monkeypatch.setattr(consumers, "_join_frame", history_then_agent_answers)
    socket, _ = await open_chat(conversation.pk, customer)
    joined = await receive(socket, "history")
    assert "刚好这时回复" not in [message["body"] for message in joined["messages"]]
    assert (await receive(socket, "message"))["message"]["body"] == "刚好这时回复"


async def test_a_refused_socket_hears_nothing_pushed_to_the_conversation(
    pair: Any, open_chat: Any, login_as: Callable[[str], Login]
) -> None:
    customer, _agent, conversation = pair
    stranger = await sync_to_async(login_as)("customer")
    socket, _ = await open_chat(conversation.pk, stranger)
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    await sync_to_async(say)(conversation, customer.user, "陌生人不该看到")
    assert await socket.receive_nothing(timeout=0.5)


async def test_each_ack_is_timed_for_the_metrics(pair: Any, open_chat: Any) -> None:
    from chat.metrics import ACK_SECONDS

    def acks_timed() -> float:
        (histogram,) = ACK_SECONDS.collect()
        return next(sample.value for sample in histogram.samples if sample.name.endswith("_count"))

    customer, _agent, conversation = pair
    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")
    before = acks_timed()
    await socket.send_json_to({"type": "send", "client_id": "m1", "body": "在吗"})
    await receive(socket, "ack")
    assert acks_timed() == before + 1


async def test_retried_send_is_acked_again_without_a_second_message(pair: Any, open_chat: Any) -> None:
    customer, _agent, conversation = pair
    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")
    await socket.send_json_to({"type": "send", "client_id": "same", "body": "在吗"})
    first = await receive(socket, "ack")
    await socket.send_json_to({"type": "send", "client_id": "same", "body": "在吗"})
    second = await receive(socket, "ack")
    assert (first["id"], first["seq"]) == (second["id"], second["seq"])
    assert second["duplicate"] is True


async def test_anonymous_and_strangers_are_refused(
    pair: Any, open_chat: Any, login_as: Callable[[str], Login]
) -> None:
    _customer, _agent, conversation = pair
    socket, accepted = await open_chat(conversation.pk, None)
    assert accepted
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
    for role in ("customer", "agent", "supervisor"):
        stranger = await sync_to_async(login_as)(role)
        socket, _ = await open_chat(conversation.pk, stranger)
        assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    socket, _ = await open_chat(999_999, stranger)
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_edit_and_recall_reach_both_sides_and_late_ones_are_refused(pair: Any, open_chat: Any) -> None:
    customer, agent, conversation = pair
    customer_socket, _ = await open_chat(conversation.pk, customer)
    agent_socket, _ = await open_chat(conversation.pk, agent)
    await receive(customer_socket, "history")
    await receive(agent_socket, "history")
    await customer_socket.send_json_to({"type": "send", "client_id": "x", "body": "地址写错了"})
    message_id = (await receive(customer_socket, "ack"))["id"]

    await customer_socket.send_json_to({"type": "edit", "id": message_id, "body": "地址是 杭州市西湖区"})
    edited = await receive(agent_socket, "message_changed")
    assert edited["message"]["body"] == "地址是 杭州市西湖区" and edited["message"]["edited"]
    assert (await receive(customer_socket, "message_changed"))["message"]["edit_count"] == 1

    await customer_socket.send_json_to({"type": "recall", "id": message_id})
    recalled = await receive(agent_socket, "message_changed")
    assert recalled["message"]["recalled"] and recalled["message"]["body"] == ""
    assert (await receive(customer_socket, "message_changed"))["message"]["recalled"]

    # The agent cannot touch the customer's message; an old message is past its window.
    await agent_socket.send_json_to({"type": "edit", "id": message_id, "body": "x"})
    assert (await receive(agent_socket, "error"))["code"] in {"not_author", "recalled"}
    old = await sync_to_async(say)(conversation, customer.user, "旧消息")
    await sync_to_async(ChatMessage.objects.filter(pk=old.pk).update)(created_at=timezone.now() - timedelta(minutes=3))
    await customer_socket.send_json_to({"type": "recall", "id": old.pk})
    late = await receive(customer_socket, "error")
    assert late["code"] == "window_passed"
    assert "2 分钟" in late["message"]
    assert (await sync_to_async(ChatMessage.objects.get)(pk=old.pk)).recalled_at is None


async def test_read_receipts_and_typing(pair: Any, open_chat: Any) -> None:
    customer, agent, conversation = pair
    customer_socket, _ = await open_chat(conversation.pk, customer)
    agent_socket, _ = await open_chat(conversation.pk, agent)
    agent_join = await receive(agent_socket, "history")
    await receive(customer_socket, "history")
    assert agent_join["unread"] == conversation.last_seq

    await customer_socket.send_json_to({"type": "send", "client_id": "r", "body": "收到了吗"})
    seq = (await receive(customer_socket, "ack"))["seq"]
    # Sending moved the customer's own pointer; both sockets hear that first.
    assert await receive(customer_socket, "read") == {"type": "read", "role": "customer", "seq": seq}
    await agent_socket.send_json_to({"type": "read", "seq": seq})
    assert await receive(customer_socket, "read") == {"type": "read", "role": "agent", "seq": seq}

    await agent_socket.send_json_to({"type": "typing"})
    await agent_socket.send_json_to({"type": "typing"})  # throttled: only one reaches the customer
    assert await receive(customer_socket, "typing") == {"type": "typing", "role": "agent"}
    await agent_socket.send_json_to({"type": "ping"})
    assert await receive(agent_socket, "pong") == {"type": "pong"}
    await customer_socket.send_json_to({"type": "ping"})
    # Had the second typing frame been relayed it would arrive before the pong.
    assert (await customer_socket.receive_json_from(timeout=TIMEOUT))["type"] == "pong"


async def test_older_pages_and_resume_fill_the_gap(pair: Any, open_chat: Any) -> None:
    customer, agent, conversation = pair
    for number in range(55):
        await sync_to_async(say)(conversation, agent.user, f"消息{number}")
    socket, _ = await open_chat(conversation.pk, customer)
    joined = await receive(socket, "history")
    assert len(joined["messages"]) == 50 and joined["has_more"]
    oldest = joined["messages"][0]["seq"]
    await socket.send_json_to({"type": "history", "before_seq": oldest})
    older = await receive(socket, "older")
    assert [m["seq"] for m in older["messages"]] == list(range(1, oldest)) and not older["has_more"]
    last_seen = joined["messages"][-1]["seq"]
    await socket.disconnect(timeout=TIMEOUT)

    # While the customer is away the agent writes twice; on reconnect the customer asks for the gap.
    await sync_to_async(say)(conversation, agent.user, "您还在吗")
    await sync_to_async(say)(conversation, agent.user, "稍后回复也可以")
    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")
    await socket.send_json_to({"type": "resume", "last_seq": last_seen})
    gap = await receive(socket, "gap")
    assert [m["body"] for m in gap["messages"]] == ["您还在吗", "稍后回复也可以"]
    assert [m["seq"] for m in gap["messages"]] == [last_seen + 1, last_seen + 2]


async def test_reconnect_resumes_from_the_last_contiguous_seq_and_gets_a_missed_message(
    pair: Any, open_chat: Any
) -> None:
    customer, agent, conversation = pair
    socket, _ = await open_chat(conversation.pk, customer)
    contiguous = (await receive(socket, "history"))["messages"][-1]["seq"]
    # A push lost on its way (say the channel layer was down): stored, never broadcast.
    await sync_to_async(collecting_pushes(services.message_send))(
        conversation_id=conversation.pk, author=agent.user, body="这条没推到", client_id="lost"
    )
    await sync_to_async(say)(conversation, agent.user, "这条推到了")
    live = await receive(socket, "message")
    assert live["message"]["seq"] == contiguous + 2  # the socket holds ..contiguous and contiguous + 2
    await socket.disconnect(timeout=TIMEOUT)

    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")
    await socket.send_json_to({"type": "resume", "last_seq": contiguous})
    gap = await receive(socket, "gap")
    assert [(m["seq"], m["body"]) for m in gap["messages"]] == [
        (contiguous + 1, "这条没推到"), (contiguous + 2, "这条推到了")
    ]
    assert not gap["has_more"]


async def test_a_hung_channel_layer_neither_holds_back_the_ack_nor_the_disconnect(
    pair: Any, open_chat: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As after a Redis restart, when a call can wait forever on a dead connection: Daphne's
    # graceful stop waited on every socket's group_discard and never finished.
    customer, _agent, conversation = pair
    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")

    async def hang(*args: Any) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(consumers, "LAYER_TIMEOUT_SECONDS", 0.2)
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "group_send", hang)
    monkeypatch.setattr(layer, "group_discard", hang)
    with caplog.at_level(logging.ERROR, logger="chat.consumers"):
        await socket.send_json_to({"type": "send", "client_id": "while-down", "body": "Redis 挂了也要存下"})
        ack = await receive(socket, "ack")
        await socket.disconnect(timeout=TIMEOUT)  # raises TimeoutError if the consumer still waits
    assert ack["seq"] == conversation.last_seq + 1
    assert [record.getMessage().split("(")[0] for record in caplog.records] == [
        "channel layer group_send", "channel layer group_send", "channel layer group_discard"
    ]


async def test_live_pushes_resume_after_a_redis_restart_without_reconnecting(
    pair: Any, open_chat: Any, settings: Any, tmp_path: Path
) -> None:
    # Redis pub/sub keeps no state: after a restart the layer must subscribe again by itself, or open
    # sockets would hear nothing more until they reconnect.
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        layer = copy.deepcopy(settings.CHANNEL_LAYERS["default"])
        layer["CONFIG"]["hosts"] = [{"address": redis.url, "socket_timeout": None}]
        settings.CHANNEL_LAYERS = {"default": layer}
        customer, agent, conversation = pair
        customer_socket, _ = await open_chat(conversation.pk, customer)
        agent_socket, _ = await open_chat(conversation.pk, agent)
        await receive(customer_socket, "history")
        await receive(agent_socket, "history")
        await customer_socket.send_json_to({"type": "send", "client_id": "before", "body": "重启前"})
        assert (await receive(agent_socket, "message"))["message"]["body"] == "重启前"

        await sync_to_async(redis.kill)()
        await sync_to_async(redis.start)()
        heard: list[str] = []
        deadline = time.monotonic() + TIMEOUT
        attempt = 0
        while not heard and time.monotonic() < deadline:
            attempt += 1
            await customer_socket.send_json_to({"type": "send", "client_id": f"after-{attempt}", "body": "重启后"})
            await receive(customer_socket, "ack")
            # receive_nothing, not a short receive timeout: a timed-out receive cancels the consumer.
            while not heard and not await agent_socket.receive_nothing(timeout=1.0):
                frame = await agent_socket.receive_json_from(timeout=TIMEOUT)
                if frame["type"] == "message":
                    heard.append(frame["message"]["client_id"])
        assert heard, "no push reached the agent after Redis came back"
        await customer_socket.disconnect(timeout=TIMEOUT)
        await agent_socket.disconnect(timeout=TIMEOUT)
    finally:
        redis.kill()


async def test_customer_asks_for_a_person_and_the_bot_hands_over(
    login_as: Callable[[str], Login], open_chat: Any
) -> None:
    customer = await sync_to_async(login_as)("customer")
    conversation = await sync_to_async(start_chat)(customer.user)
    socket, _ = await open_chat(conversation.pk, customer)
    joined = await receive(socket, "history")
    assert joined["conversation"]["status"] == "bot" and joined["messages"][0]["sender"] == "bot"

    await socket.send_json_to({"type": "handoff"})

    changed = await receive(socket, "conversation")
    assert changed["conversation"]["status"] == "waiting"
    assert changed["conversation"]["queue_position"] == 1
    await socket.send_json_to({"type": "handoff"})
    assert (await receive(socket, "error"))["code"] == "invalid_transition"


# Each frame is refused with its code while the socket stays open (one socket for all: a
# transactional test's database flush costs far more than the frames).
BAD_FRAMES = [
    ({"type": "websocket.receive", "text": "not json {"}, "invalid_json"),
    ({"type": "websocket.receive", "bytes": b"\x00"}, "invalid_json"),
    ({"type": "websocket.receive", "text": "[1]"}, "unknown_type"),
    ({"type": "websocket.receive", "text": '{"type": "dance"}'}, "unknown_type"),
    ({"type": "websocket.receive", "text": '{"type": "send", "body": "no id"}'}, "invalid_frame"),
    ({"type": "websocket.receive", "text": '{"type": "send", "client_id": 5, "body": "x"}'}, "invalid_frame"),
    ({"type": "websocket.receive", "text": '{"type": "send", "client_id": "e", "body": ""}'}, "empty"),
    ({"type": "websocket.receive", "text": '{"type": "read", "seq": "3"}'}, "invalid_frame"),
    ({"type": "websocket.receive", "text": '{"type": "edit", "id": 999999, "body": "x"}'}, "not_found"),
    ({"type": "websocket.receive", "text": '{"type": "send", "client_id": "a", "attachment": 999999}'},
     "invalid_attachment"),
    ({"type": "websocket.receive", "text": '{"type": "send", "client_id": "b", "body": "' + "x" * 20000 + '"}'},
     "too_large"),
]


async def test_bad_frames_get_an_error_and_the_socket_stays_open(pair: Any, open_chat: Any) -> None:
    customer, _agent, conversation = pair
    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")

    for frame, code in BAD_FRAMES:
        await socket.send_input(frame)
        error = await receive(socket, "error")
        assert (error["code"], bool(error["message"])) == (code, True), frame
        await socket.send_json_to({"type": "ping"})
        assert await receive(socket, "pong") == {"type": "pong"}
    assert (await sync_to_async(Conversation.objects.get)(pk=conversation.pk)).last_seq == conversation.last_seq


async def test_flooding_socket_is_rate_limited(pair: Any, open_chat: Any, settings: Any) -> None:
    settings.CHAT_SOCKET_FRAMES_PER_10S = 3
    customer, _agent, conversation = pair
    socket, _ = await open_chat(conversation.pk, customer)
    await receive(socket, "history")
    for _ in range(4):
        await socket.send_json_to({"type": "ping"})
    frames = [(await socket.receive_json_from(timeout=TIMEOUT))["type"] for _ in range(4)]
    assert frames == ["pong", "pong", "pong", "error"]


async def test_desk_socket_nudges_agents_when_the_queue_moves(
    login_as: Callable[[str], Login], open_chat: Any
) -> None:
    agent, customer = await sync_to_async(login_as)("agent"), await sync_to_async(login_as)("customer")
    desk = WebsocketCommunicator(application, "/ws/chat/desk/", headers=[
        (b"origin", ALLOWED_ORIGIN.encode()), (b"cookie", agent.cookie_header.encode())])
    connected, _ = await desk.connect(timeout=TIMEOUT)
    assert connected
    try:
        conversation = await sync_to_async(start_chat)(customer.user)
        await sync_to_async(say)(conversation, customer.user, "转人工")
        assert await desk.receive_json_from(timeout=TIMEOUT) == {"type": "changed"}
        await desk.send_json_to({"type": "dance"})
        assert (await receive(desk, "error"))["code"] == "unknown_type"
    finally:
        await desk.disconnect(timeout=TIMEOUT)


async def test_desk_socket_is_for_agents_only(login_as: Callable[[str], Login]) -> None:
    customer = await sync_to_async(login_as)("customer")
    for cookie, code in ((None, CLOSE_UNAUTHENTICATED), (customer.cookie_header, CLOSE_FORBIDDEN)):
        headers = [(b"origin", ALLOWED_ORIGIN.encode())]
        if cookie is not None:
            headers.append((b"cookie", cookie.encode()))
        desk = WebsocketCommunicator(application, "/ws/chat/desk/", headers=headers)
        await desk.connect(timeout=TIMEOUT)
        try:
            assert await desk.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": code}
        finally:
            await desk.disconnect(timeout=TIMEOUT)


async def test_transferred_agent_socket_is_closed(
    pair: Any, open_chat: Any, login_as: Callable[[str], Login]
) -> None:
    customer, agent, conversation = pair
    colleague = await sync_to_async(login_as)("agent")
    agent_socket, _ = await open_chat(conversation.pk, agent)
    customer_socket, _ = await open_chat(conversation.pk, customer)
    await receive(agent_socket, "history")
    await receive(customer_socket, "history")

    await sync_to_async(services.conversation_transfer)(
        conversation_id=conversation.pk, agent=agent.user, to_agent=colleague.user
    )

    changed = await receive(customer_socket, "conversation")
    assert changed["conversation"]["agent_id"] == colleague.user.pk
    assert (await receive(agent_socket, "conversation"))["conversation"]["agent_id"] == colleague.user.pk
    assert await agent_socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
