"""An agent's first sign-in in a real browser: password, then set up the authenticator from the QR
page (the key read off the page, as a phone would), then the workbench."""

import base64
from typing import Any

import pytest
from django_otp.oath import totp

from tests.browser import ARTIFACTS
from tests.factories import PASSWORD, AgentProfileFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def two_factor_on(settings: Any, transactional_db: None) -> None:
    # Set before the live server forks, so the server requires the second step too.
    settings.STAFF_TWO_FACTOR_REQUIRED = True


@pytest.fixture
def agent(transactional_db: None) -> Any:
    return AgentProfileFactory.create(user__display_name="王磊").user


def test_agent_sets_up_two_factor_and_reaches_the_desk(
    two_factor_on: None, agent: Any, asgi_live_server: str, chromium_page: Any
) -> None:
    page = chromium_page
    page.goto(f"{asgi_live_server}/desk/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/2fa/**")
    assert page.locator(".two-factor__qr img").is_visible()
    page.screenshot(path=str(ARTIFACTS / "two-factor-setup.png"), full_page=True)

    secret = page.locator(".two-factor__secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_token", f"{totp(key):06d}")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/desk/")
    assert page.locator("#desk").is_visible()
