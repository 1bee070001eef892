"""Two real browsers: a customer chats with the assistant, asks for a person, an agent accepts from
the console and answers, and each sees the other's messages live."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from chat import services
from chat.models import Conversation
from chat.realtime import collecting_pushes
from profiles.models import User
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, in_thread
from tests.chat.factories import chat_with_agent, say
from tests.factories import AgentProfileFactory, CustomerProfileFactory

pytestmark = pytest.mark.browser


def session_cookie(user: User, base_url: str) -> Any:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "domain": urlsplit(base_url).hostname, "path": "/"}



@pytest.fixture
def two_pages(asgi_live_server: str) -> Iterator[tuple[Any, Any]]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed; browser tests need it")
    from playwright.sync_api import sync_playwright

    customer = CustomerProfileFactory.create(user__display_name="周小芸").user
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    cookies = [session_cookie(user, asgi_live_server) for user in (customer, agent)]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages = []
        for cookie in cookies:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(15_000)
            context.add_cookies([cookie])
            pages.append(context.new_page())
        try:
            yield pages[0], pages[1]
        finally:
            for page in pages:
                page.context.close()
            browser.close()


def test_customer_and_agent_chat_live(asgi_live_server: str, two_pages: tuple[Any, Any]) -> None:
    customer_page, agent_page = two_pages
    errors: list[str] = []
    for page in two_pages:
        page.on("pageerror", lambda error: errors.append(str(error)))

    customer_page.goto(f"{asgi_live_server}/help/chat/")
    customer_page.click("#chat-start")
    customer_page.wait_for_selector("#chat-live[data-state=open]")
    customer_page.wait_for_selector(".msg--bot")
    assert "智能助手" in customer_page.locator(".msg--bot").first.inner_text()

    customer_page.fill("#chat-input", "你好 我的快递三天没更新了 😀")
    customer_page.keyboard.press("Enter")
    customer_page.wait_for_selector(".msg--mine[data-seq] .msg__status:has-text('已送达')")
    customer_page.click("#chat-handoff")
    customer_page.wait_for_selector("#chat-queue:has-text('第 1 位')")
    assert customer_page.locator("#chat-handoff").is_hidden()
    assert customer_page.locator("#chat-older").is_hidden()
    customer_page.screenshot(path=str(ARTIFACTS / "chat-widget-waiting.png"), full_page=True)

    agent_page.goto(f"{asgi_live_server}/desk/chats/")
    agent_page.click("#queue button:has-text('接入')")
    agent_page.wait_for_selector("#chat-live[data-state=open]")
    agent_page.wait_for_selector(".msg--theirs:has-text('我的快递三天没更新了')")
    customer_page.wait_for_selector(".msg--system:has-text('王磊')")

    agent_page.fill("#chat-input", "您好 我是客服王磊 马上帮您查询")
    customer_page.wait_for_selector("#chat-typing:has-text('客服 正在输入')")
    agent_page.click("#chat-send")
    customer_page.wait_for_selector(".msg--theirs:has-text('马上帮您查询')")
    # The line has arrived, so its author is no longer shown typing it.
    assert customer_page.locator("#chat-typing").inner_text() == ""
    # The customer's page is visible, so it marks the reply read and the agent sees "已读".
    agent_page.wait_for_selector(".msg--mine .msg__status:has-text('已读')")

    customer_page.fill("#chat-input", "好的 谢谢")
    customer_page.keyboard.press("Enter")
    agent_page.wait_for_selector(".msg--theirs:has-text('好的 谢谢')")
    customer_page.locator(".msg--mine:has-text('好的 谢谢') [data-action=recall]").click()
    agent_page.wait_for_selector(".msg--theirs .msg__bubble--recalled:has-text('消息已撤回')")
    customer_page.wait_for_selector(".msg--mine .msg__bubble--recalled:has-text('消息已撤回')")
    # The open chat is read as it arrives, so its unread badge goes (the desk socket refreshes the list).
    agent_page.wait_for_selector("#my-chats .chat-list__unread", state="detached")
    agent_page.screenshot(path=str(ARTIFACTS / "chat-console.png"), full_page=True)

    agent_page.click("#chat-end-agent")
    customer_page.wait_for_selector("#chat-rating:not([hidden])")
    customer_page.check("input[name=rating][value='4']")
    customer_page.click("#chat-rating button[type=submit]")
    customer_page.wait_for_selector("#chat-rated:not([hidden])")
    customer_page.screenshot(path=str(ARTIFACTS / "chat-widget-rated.png"), full_page=True)
    customer_page.set_viewport_size({"width": 390, "height": 844})
    customer_page.screenshot(path=str(ARTIFACTS / "chat-widget-mobile.png"))

    conversation = in_thread(lambda: Conversation.objects.get())
    assert (conversation.status, conversation.rating) == ("ended", 4)
    assert errors == []


def test_widget_fills_a_gap_by_resuming_from_its_last_contiguous_seq(asgi_live_server: str, chromium_page: Any) -> None:
    def world() -> tuple[Conversation, User, Any]:
        customer = CustomerProfileFactory.create(user__display_name="周小芸").user
        agent = AgentProfileFactory.create(user__display_name="王磊").user
        return chat_with_agent(customer, agent), agent, session_cookie(customer, asgi_live_server)

    conversation, agent, cookie = in_thread(world)
    page = chromium_page
    page.context.add_cookies([cookie])
    resumes: list[dict[str, Any]] = []

    def record_resumes(socket: Any) -> None:
        def sent(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame["type"] == "resume":
                resumes.append(frame)

        socket.on("framesent", sent)

    page.on("websocket", record_resumes)
    page.goto(f"{asgi_live_server}/help/chat/")
    page.wait_for_selector(f".msg[data-seq='{conversation.last_seq}']")

    def lose_one_push_then_send_another() -> None:
        # Stored but never broadcast, as when the channel layer drops a push; the next one arrives.
        collecting_pushes(services.message_send)(conversation_id=conversation.pk, author=agent, body="这条推送丢了")
        say(conversation, agent, "这条推送到了")

    in_thread(lose_one_push_then_send_another)
    missed, arrived = conversation.last_seq + 1, conversation.last_seq + 2
    page.wait_for_selector(f".msg[data-seq='{missed}']:has-text('这条推送丢了')")
    assert resumes == [{"type": "resume", "last_seq": conversation.last_seq}]
    seqs = [int(seq) for seq in page.locator(".msg[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert seqs[-2:] == [missed, arrived]
    assert "这条推送到了" in page.locator(f".msg[data-seq='{arrived}']").inner_text()
    # The state is labelled in the reader's language, whoever's action pushed the frame.
    assert page.locator("#chat-state").inner_text() == "人工接待中"
    page.screenshot(path=str(ARTIFACTS / "chat-widget-gap-filled.png"), full_page=True)
