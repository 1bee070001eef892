"""Visible length limits (issue 18): a text over the limit is neither cut nor sent silently.

The browser's maxlength used to cut a 20,001-character paste to 20,000 without a word. Now the field
shows "used / limit", says when the text is too long, keeps every character, and the server's error
names the field.
"""

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.browser import ARTIFACTS
from tests.factories import AgentProfileFactory
from tests.pages.conftest import page_text

pytestmark = pytest.mark.browser

LIMIT = 20_000


@pytest.fixture
def client(transactional_db: None) -> Client:
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    client = Client()
    client.force_login(agent)
    return client


def test_the_limit_shows_on_the_page(client: Client) -> None:
    assert "最多 20000 个字" in page_text(client.get("/desk/tickets/new/"))


def test_a_paste_over_the_limit_is_kept_flagged_and_refused_by_field(
    client: Client, asgi_live_server: str, chromium_page: Any
) -> None:
    host = asgi_live_server.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                                        "domain": host, "path": "/"}])
    chromium_page.goto(f"{asgi_live_server}/desk/tickets/new/")
    body = chromium_page.locator("#id_body")
    counter = chromium_page.locator('[data-limit-for="id_body"]')
    assert counter.inner_text() == f"0 / {LIMIT} 字"
    # Every limited field on the page got its live counter (none left at the server's static hint).
    assert all(re.fullmatch(r"\d+ / \d+ 字", text) for text in chromium_page.locator(".field__limit").all_inner_texts())
    body.focus()
    chromium_page.keyboard.insert_text("退" * (LIMIT + 1))  # what a paste does; maxlength would cut it
    assert body.evaluate("node => node.value.length") == LIMIT + 1
    assert "内容过长" in counter.inner_text() and "field__limit--over" in (counter.get_attribute("class") or "")
    chromium_page.screenshot(path=str(ARTIFACTS / "limits-over.png"), full_page=True)
    chromium_page.click("#new-ticket-form button[type=submit]")
    chromium_page.wait_for_load_state("load")
    errors = chromium_page.locator("#id_body_errors").inner_text()
    assert "20000" in errors and "20001" in errors  # Django's own: at most 20000 characters, it has 20001
    chromium_page.screenshot(path=str(ARTIFACTS / "limits-refused.png"), full_page=True)
