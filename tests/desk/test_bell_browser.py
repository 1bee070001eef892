"""The bell in a real browser: a notification written for the agent bumps the count live (over the desk
shell's socket, no reload, no polling), and marking read from the dropdown (htmx) clears it."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from profiles.models import User
from tests.browser import ARTIFACTS, in_thread
from tests.desk.conftest import notify_user
from tests.factories import AgentProfileFactory
from tickets import selectors as ticket_selectors

pytestmark = pytest.mark.browser


@pytest.fixture
def agent(transactional_db: None) -> User:
    return AgentProfileFactory.create(user__display_name="王磊").user


@pytest.fixture
def cookie(agent: User) -> str:
    client = Client()
    client.force_login(agent)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_count_is_live_and_marking_read_clears_it(agent: User, cookie: str, asgi_live_server: str,
                                                  chromium_page: Any) -> None:
    host = asgi_live_server.split("//")[1].split(":")[0]
    from playwright.sync_api import expect

    page = chromium_page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": cookie,
                               "domain": host, "path": "/"}])
    page.goto(f"{asgi_live_server}/desk/tickets/")
    page.wait_for_selector("#presence-select:enabled")  # the shell's socket is open
    assert page.locator("#bell-count").is_hidden()

    in_thread(lambda: notify_user(agent, text="@wanglei 退款单需要您确认"))
    page.wait_for_selector("#bell-count:not([hidden])")
    assert page.locator("#bell-count").inner_text() == "1"
    in_thread(lambda: notify_user(agent, text="第二条提醒"))
    page.wait_for_selector('#bell-count[data-unread="2"]')

    page.click("#bell summary")
    page.wait_for_selector("#bell-menu [data-notification-id]")
    expect(page.locator("#bell-menu .notes__item")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "desk-bell-open.png"))

    # One read: the dropdown redraws without it, and the count follows over the socket.
    page.locator("#bell-menu .notes__mark").first.click()
    page.wait_for_selector('#bell-count[data-unread="1"]')
    expect(page.locator("#bell-menu .notes__item")).to_have_count(1)

    page.click("#notifications-read-all")
    page.wait_for_selector("#bell-count", state="hidden")
    page.wait_for_selector("#bell-menu .notes__empty")
    assert in_thread(lambda: ticket_selectors.unread_notification_count(agent.pk)) == 0
    page.screenshot(path=str(ARTIFACTS / "desk-bell-read.png"))

    # The page lists them all, read ones too; "Open" marks read and goes to the ticket.
    page.goto(f"{asgi_live_server}/desk/notifications/")
    expect(page.locator("#notifications .notes__item")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "desk-notifications.png"), full_page=True)
