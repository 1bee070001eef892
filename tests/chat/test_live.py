"""The chat socket against a real Daphne process with a real WebSocket client, as a browser uses it."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.chat.factories import chat_with_agent
from tests.realtime.conftest import TIMEOUT, Login
from tests.realtime.test_presence_live import LiveServer, live_daphne  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server_kind]


def open_chat(server: LiveServer, conversation_id: int, login: Login) -> ClientConnection:
    return connect(
        f"ws://127.0.0.1:{server.port}/ws/chat/{conversation_id}/", origin=Origin(server.origin),
        additional_headers={"Cookie": login.cookie_header}, open_timeout=TIMEOUT, close_timeout=TIMEOUT,
    )


def next_of(websocket: ClientConnection, frame_type: str, **matching: Any) -> Any:
    """The next frame of `frame_type` whose fields include `matching`, skipping the others."""
    while True:
        frame = json.loads(websocket.recv(timeout=TIMEOUT))
        if frame["type"] == frame_type and matching.items() <= frame.items():
            return frame


def test_customer_and_agent_talk_over_real_sockets(
    live_daphne: LiveServer, login_as: Callable[[str], Login]  # noqa: F811
) -> None:
    customer, agent = login_as("customer"), login_as("agent")
    conversation = chat_with_agent(customer.user, agent.user)
    with open_chat(live_daphne, conversation.pk, customer) as customer_socket, \
            open_chat(live_daphne, conversation.pk, agent) as agent_socket:
        assert next_of(customer_socket, "history")["role"] == "customer"
        assert next_of(agent_socket, "history")["role"] == "agent"

        customer_socket.send(json.dumps({"type": "send", "client_id": "live-1", "body": "快递三天没动了"}))
        # The sender gets its ack and also hears its own message (which keeps its other tabs in step).
        own: dict[str, Any] = {}
        while not {"ack", "message"} <= own.keys():
            frame = json.loads(customer_socket.recv(timeout=TIMEOUT))
            own[frame["type"]] = frame
        ack = own["ack"]
        assert own["message"]["message"]["id"] == ack["id"]
        delivered = next_of(agent_socket, "message")["message"]
        assert (delivered["id"], delivered["seq"], delivered["body"]) == (ack["id"], ack["seq"], "快递三天没动了")

        agent_socket.send(json.dumps({"type": "send", "client_id": "live-2", "body": "我马上帮您催一下"}))
        assert next_of(customer_socket, "message")["message"]["body"] == "我马上帮您催一下"
        # Replying marks what the agent replied to as read, which the customer sees.
        assert next_of(customer_socket, "read", role="agent", seq=ack["seq"] + 1)
        customer_socket.send(json.dumps({"type": "read", "seq": ack["seq"] + 1}))
        assert next_of(agent_socket, "read", role="customer", seq=ack["seq"] + 1)
