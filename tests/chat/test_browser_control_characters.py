"""The widget and a line the server refuses: a U+0000 typed (here injected) into the input is shown as
failed with the server's reason, and it is never sent again, not even after the socket reconnects
(it used to be retried for ever)."""

import json
from typing import Any

import pytest

from chat.models import ChatMessage, Conversation
from tests.browser import ARTIFACTS, in_thread
from tests.chat.factories import chat_with_agent
from tests.chat.test_browser import session_cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory

pytestmark = pytest.mark.browser

# Keeps every socket the page opens, so the test can drop one and watch the widget reconnect.
RECORD_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def test_a_refused_line_is_marked_failed_with_the_reason_and_never_resent(
        asgi_live_server: str, chromium_page: Any) -> None:
    def world() -> tuple[Conversation, Any]:
        customer = CustomerProfileFactory.create(user__display_name="周小芸").user
        agent = AgentProfileFactory.create(user__display_name="王磊").user
        return chat_with_agent(customer, agent), session_cookie(customer, asgi_live_server)

    conversation, cookie = in_thread(world)
    page = chromium_page
    page.context.add_cookies([cookie])
    page.add_init_script(RECORD_SOCKETS)
    sends: list[dict[str, Any]] = []
    opened: list[str] = []

    def record(socket: Any) -> None:
        opened.append(socket.url)

        def sent(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame["type"] == "send":
                sends.append(frame)

        socket.on("framesent", sent)

    page.on("websocket", record)
    page.goto(f"{asgi_live_server}/help/chat/")
    page.wait_for_selector(f".msg[data-seq='{conversation.last_seq}']")
    page.wait_for_selector("#chat-live[data-state='open']")

    page.evaluate("document.getElementById('chat-input').value = '订单\\u0000号'")
    page.locator("#chat-input").press("Enter")
    failed = page.wait_for_selector(".msg--failed")
    status = failed.query_selector(".msg__status").inner_text()
    assert status.startswith("发送失败: body: ")
    assert "NUL" in status
    assert failed.query_selector(".msg__bubble").inner_text().startswith("订单")
    assert page.locator("#chat-error").inner_text() == status.removeprefix("发送失败: ")

    # Drop the socket: the widget reconnects and re-sends whatever is still unacknowledged.
    # (Polled with evaluate: wait_for_function needs the eval the page's Content-Security-Policy refuses.)
    page.evaluate("window.__sockets[window.__sockets.length - 1].close()")
    for _ in range(100):
        if page.evaluate("window.__sockets.length === 2 && window.__sockets[1].readyState === 1"):
            break
        page.wait_for_timeout(100)
    page.wait_for_selector("#chat-live[data-state='open']")
    page.wait_for_timeout(3000)
    assert len(opened) == 2
    assert len(sends) == 1 and sends[0]["body"] == "订单\x00号"
    assert page.locator(".msg--failed").count() == 1
    stored = in_thread(lambda: ChatMessage.objects.filter(conversation=conversation, sender="customer").count())
    assert stored == 0
    page.screenshot(path=str(ARTIFACTS / "chat-widget-refused-line.png"), full_page=True)
