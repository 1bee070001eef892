"""Control characters in a chat line (chat/PROTOCOL.md, "Control characters"): NUL and the other C0
controls are refused with an error frame that names the send, the invisible ones are dropped, and
the socket stays open either way (a U+0000 used to close it with 1011)."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat.models import ChatMessage, Conversation
from chat.text import clean_message_text
from service_center.asgi import application
from tests.chat.factories import chat_with_agent
from tests.realtime.conftest import ALLOWED_ORIGIN, TIMEOUT, Login

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest_asyncio.fixture
async def customer_socket(
        login_as: Callable[[str], Login]) -> AsyncIterator[tuple[WebsocketCommunicator, Conversation]]:
    customer, agent = await sync_to_async(login_as)("customer"), await sync_to_async(login_as)("agent")
    conversation = await sync_to_async(chat_with_agent)(customer.user, agent.user)
    socket = WebsocketCommunicator(application, f"/ws/chat/{conversation.pk}/", headers=[
        (b"origin", ALLOWED_ORIGIN.encode()), (b"cookie", customer.cookie_header.encode())])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    yield socket, conversation
    await socket.disconnect(timeout=TIMEOUT)


async def receive(socket: WebsocketCommunicator, frame_type: str) -> dict[str, Any]:
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == frame_type:
            return frame


def stored_bodies(conversation_id: int) -> list[str]:
    return list(ChatMessage.objects.filter(conversation_id=conversation_id, sender="customer")
                .order_by("seq").values_list("body", flat=True))


@pytest.mark.parametrize("body", ["a\x00b", "\x00", "bell\x07", "esc\x1b[31m red", "form\x0cfeed"])
async def test_a_c0_control_character_is_refused_naming_the_send_and_the_socket_stays_open(
        customer_socket: Any, body: str) -> None:
    socket, conversation = customer_socket
    await receive(socket, "history")
    await socket.send_to(text_data=json.dumps({"type": "send", "client_id": "c-nul", "body": body}))

    error = await receive(socket, "error")
    assert error["code"] == "invalid_frame"
    assert error["client_id"] == "c-nul"
    assert error["message"].startswith("body: ") and "NUL" in error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket, "pong") == {"type": "pong"}
    assert await sync_to_async(stored_bodies)(conversation.pk) == []


async def test_a_client_id_holding_a_control_character_is_not_echoed(customer_socket: Any) -> None:
    socket, _conversation = customer_socket
    await receive(socket, "history")
    await socket.send_to(text_data=json.dumps({"type": "send", "client_id": "c\x00", "body": "hi"}))
    error = await receive(socket, "error")
    assert error["code"] == "invalid_frame" and "client_id" not in error


async def test_an_edit_with_nul_is_refused_and_the_line_keeps_its_text(customer_socket: Any) -> None:
    socket, conversation = customer_socket
    await receive(socket, "history")
    await socket.send_json_to({"type": "send", "client_id": "c-1", "body": "hello"})
    ack = await receive(socket, "ack")
    await socket.send_to(text_data=json.dumps({"type": "edit", "id": ack["id"], "body": "he\x00llo"}))
    assert (await receive(socket, "error"))["code"] == "invalid_frame"
    assert await sync_to_async(stored_bodies)(conversation.pk) == ["hello"]


async def test_invisible_characters_are_dropped_and_line_breaks_normalised(customer_socket: Any) -> None:
    socket, conversation = customer_socket
    await receive(socket, "history")
    await socket.send_to(text_data=json.dumps(
        {"type": "send", "client_id": "c-paste", "body": "\ufeff第一行\r\n第二\x85行\x7f\r"}))
    ack = await receive(socket, "ack")
    message = await receive(socket, "message")
    assert message["message"]["id"] == ack["id"]
    assert message["message"]["body"] == "第一行\n第二行"
    assert await sync_to_async(stored_bodies)(conversation.pk) == ["第一行\n第二行"]


async def test_a_line_of_only_invisible_characters_is_empty(customer_socket: Any) -> None:
    socket, conversation = customer_socket
    await receive(socket, "history")
    await socket.send_to(text_data=json.dumps({"type": "send", "client_id": "c-bom", "body": "\ufeff\r\n\x9f"}))
    error = await receive(socket, "error")
    assert (error["code"], error["client_id"]) == ("empty", "c-bom")
    assert await sync_to_async(stored_bodies)(conversation.pk) == []


async def test_clean_message_text_keeps_tabs_joiners_and_emoji() -> None:
    family = "👨\u200d👩\u200d👧"
    assert clean_message_text(f"a\tb {family}\r\nc") == f"a\tb {family}\nc"
