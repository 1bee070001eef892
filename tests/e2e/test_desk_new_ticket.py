"""The desk's "new ticket for a customer" page in a real browser: it renders, and an empty submit shows
the missing fields under their inputs (screenshots of both)."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.browser import ARTIFACTS
from tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def cookie(transactional_db: None) -> str:
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    client = Client()
    client.force_login(agent)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_new_ticket_page_renders_and_shows_field_errors(cookie: str, asgi_live_server: str, chromium_page: Any) -> None:
    host = asgi_live_server.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                        "value": cookie,
                                        "domain": host, "path": "/"}])
    chromium_page.goto(f"{asgi_live_server}/desk/tickets/new/")
    chromium_page.screenshot(path=str(ARTIFACTS / "tickets-desk-new.png"), full_page=True)
    chromium_page.click("#new-ticket-form button[type=submit]")
    chromium_page.wait_for_load_state("load")
    assert chromium_page.locator("#new-ticket-form .field--error").count() == 3
    chromium_page.screenshot(path=str(ARTIFACTS / "tickets-desk-new-errors.png"), full_page=True)
