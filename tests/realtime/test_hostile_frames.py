"""Hostile frames on all five WebSocket endpoints: deeply nested, oversized, raw NUL, binary and
NUL-bearing JSON frames get an error frame and the socket stays open; nothing closes it with 1011."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from profiles.models import User
from service_center.asgi import application
from tests.chat.factories import start_chat
from tests.factories import TeamFactory
from tests.realtime.conftest import ALLOWED_ORIGIN, TIMEOUT, Login
from tickets import services as ticket_services

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

# Deeper than Python's recursion limit, yet under the listening sockets' 4 KB frame cap.
DEEP = 1500
HOSTILE_FRAMES = [
    ({"type": "websocket.receive", "text": "[" * DEEP + "]" * DEEP}, {"too_deep"}),
    ({"type": "websocket.receive", "text": '{"a":' * 600 + "1" + "}" * 600}, {"too_deep"}),
    ({"type": "websocket.receive", "text": "\x00"}, {"invalid_json"}),
    ({"type": "websocket.receive", "text": "\x00" * 10}, {"invalid_json"}),
    ({"type": "websocket.receive", "bytes": b"\x00\xff"}, {"invalid_json"}),
    ({"type": "websocket.receive", "text": '{"type": "send", "client_id": "n", "body": "a\\u0000b"}'},
     {"invalid_frame"}),
    ({"type": "websocket.receive", "text": '{"type": "heartbeat", "x": "' + "长" * 200_000 + '"}'}, {"too_large"}),
]


def _customer_ticket(customer: User) -> int:
    return ticket_services.ticket_create(customer=customer, subject="物流", body="没到", team=TeamFactory.create()).pk


@pytest_asyncio.fixture
async def open_ws() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketCommunicator] = []

    async def open_(path: str, login: Login) -> WebsocketCommunicator:
        headers = [(b"origin", ALLOWED_ORIGIN.encode()), (b"cookie", login.cookie_header.encode())]
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        return communicator

    yield open_
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


async def _next_error(socket: WebsocketCommunicator) -> dict[str, Any]:
    """The next error frame, skipping pushes (history, queues, presence, ready) in between; a close
    instead of a frame fails here."""
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.send", f"the socket closed: {output}"
        frame: dict[str, Any] = json.loads(output["text"])
        if frame["type"] == "error":
            return frame


@pytest.mark.parametrize("endpoint", ["presence", "chat desk", "chat customer", "desk tickets", "my tickets"])
async def test_hostile_frames_get_an_error_and_the_socket_stays_open(
        login_as: Callable[[str], Login], open_ws: Callable[..., Any], endpoint: str) -> None:
    role = "customer" if endpoint in ("chat customer", "my tickets") else "agent"
    login = await sync_to_async(login_as)(role)
    if endpoint == "chat customer":
        path = f"/ws/chat/{(await sync_to_async(start_chat)(login.user)).pk}/"
    elif endpoint == "my tickets":
        path = f"/ws/my-tickets/{await sync_to_async(_customer_ticket)(login.user)}/"
    else:
        path = {"presence": "/ws/presence/", "chat desk": "/ws/chat/desk/", "desk tickets": "/ws/desk/tickets/"}[
            endpoint]
    socket = await open_ws(path, login)
    for frame, codes in HOSTILE_FRAMES:
        await socket.send_input(frame)
        error = await _next_error(socket)
        assert error["code"] in codes, (endpoint, str(frame)[:60], error)
        assert error["message"]
    # Still open and still answering.
    await socket.send_json_to({"type": "nothing-we-know"})
    assert (await _next_error(socket))["code"] in ("unknown_type", "read_only")
