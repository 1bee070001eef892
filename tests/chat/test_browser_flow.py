"""In a real browser: an agent's status survives moving between desk pages and tabs; a customer may skip
the rating and start a new chat, and a refused attachment says why."""

import time
from collections.abc import Callable
from typing import Any

import pytest

from chat import services
from chat.models import Conversation
from profiles.models import AgentProfile, User
from tests.browser import ARTIFACTS, in_thread
from tests.chat.factories import chat_with_agent, say
from tests.chat.test_browser import session_cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory

pytestmark = pytest.mark.browser


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not in_thread(condition):
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.2)


def presence_of(agent: User) -> str:
    return AgentProfile.objects.get(user=agent).presence


@pytest.fixture
def agent_scene(asgi_live_server: str) -> tuple[User, Any]:
    # Made before Playwright starts: once its loop runs in this thread, the ORM refuses to.
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    return agent, session_cookie(agent, asgi_live_server)


@pytest.fixture
def customer_scene(asgi_live_server: str) -> tuple[User, Conversation, Any]:
    customer = CustomerProfileFactory.create(user__display_name="周小芸").user
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    ended = chat_with_agent(customer, agent)
    say(ended, agent, "详情：/aftersales/orders/SO123/。<b>粗体</b> javascript:alert(1) 1/2")  # noqa: RUF001
    services.conversation_end(conversation_id=ended.pk, user=customer)
    return customer, ended, session_cookie(customer, asgi_live_server)


def test_a_chosen_status_is_kept_across_desk_pages_and_tabs(
    asgi_live_server: str, agent_scene: tuple[User, Any], chromium_page: Any
) -> None:
    agent, cookie = agent_scene
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([cookie])

    page.goto(f"{asgi_live_server}/desk/")
    page.wait_for_selector("#presence-select:enabled")
    page.select_option("#presence-select", "busy")
    wait_for(lambda: presence_of(agent) == "busy")
    page.wait_for_selector('#desk .badge[data-presence="busy"]')
    page.screenshot(path=str(ARTIFACTS / "presence-desk-busy.png"))

    chats = page.context.new_page()
    chats.on("pageerror", lambda error: errors.append(str(error)))
    chats.goto(f"{asgi_live_server}/desk/chats/")
    chats.wait_for_selector("#presence-select:enabled")
    assert chats.input_value("#presence-select") == "busy"
    chats.screenshot(path=str(ARTIFACTS / "presence-chats-second-tab.png"))

    page.close()  # the first tab goes; the second still beats
    chats.goto(f"{asgi_live_server}/desk/")  # and moves to another desk page
    chats.wait_for_selector("#presence-select:enabled")
    chats.select_option("#presence-select", "online")
    wait_for(lambda: presence_of(agent) == "online")

    shown = in_thread(lambda: list(AgentProfile.history.filter(user_id=agent.pk).order_by("history_id")
                                   .values_list("presence", flat=True)))
    # Created offline, then online, busy, online: never offline in between, whatever tab closed.
    assert shown[1:] == ["online", "busy", "online"]
    assert errors == []


def test_the_customer_may_skip_the_rating_and_a_refused_file_says_why(
    asgi_live_server: str, customer_scene: tuple[User, Conversation, Any], chromium_page: Any
) -> None:
    customer, ended, cookie = customer_scene
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([cookie])

    page.goto(f"{asgi_live_server}/help/chat/")
    page.wait_for_selector("#chat-rating:not([hidden])")
    # Links in messages are clickable; everything else stays text, markup included.
    links = page.locator("#chat-log a.msg__link")
    assert links.count() == 1 and links.first.get_attribute("href") == "/aftersales/orders/SO123/"
    assert page.locator("#chat-log b").count() == 0
    assert "<b>粗体</b> javascript:alert(1) 1/2" in page.inner_text("#chat-log")
    assert page.locator("input[name=rating]:checked").count() == 0
    page.click("#chat-rate")  # nothing chosen: asked, not forced
    page.wait_for_selector("#chat-rating-error:not([hidden])")
    assert "不想评分也可以" in page.inner_text("#chat-rating-error")
    page.screenshot(path=str(ARTIFACTS / "chat-rating-optional.png"), full_page=True)

    page.click("#chat-new-start")
    page.wait_for_selector("#chat-handoff:not([hidden])")
    newest = in_thread(lambda: Conversation.objects.filter(customer=customer).latest("pk"))
    assert newest.pk != ended.pk and newest.status == "bot"

    page.set_input_files("#chat-file", files=[{"name": "setup.exe", "mimeType": "application/octet-stream",
                                               "buffer": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"}])
    page.wait_for_selector("#chat-error:not([hidden])")
    assert "不支持发送此类文件" in page.inner_text("#chat-error")
    page.screenshot(path=str(ARTIFACTS / "chat-attachment-refused.png"), full_page=True)
    assert errors == []
