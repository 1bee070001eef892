"""The admin works under the strict Content-Security-Policy: its pages, forms and widgets load with
no script or style refused (the chromium_page fixture fails the test on any refusal)."""

from typing import Any

import pytest

from tests.browser import ARTIFACTS
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

ADMIN_PAGES = [
    "/admin/",
    "/admin/tickets/routingrule/",
    "/admin/tickets/routingrule/add/",
    "/admin/tickets/slapolicy/",
    "/admin/knowledge/article/",
    "/admin/aftersales/categorypolicy/add/",
    "/admin/profiles/customerprofile/",
]


@pytest.fixture
def superuser(transactional_db: None) -> Any:
    return UserFactory.create(username="root-admin", is_staff=True, is_superuser=True)


def test_admin_pages_run_under_the_policy(superuser: Any, asgi_live_server: str, chromium_page: Any) -> None:
    page = chromium_page
    page.goto(f"{asgi_live_server}/admin/login/")
    page.fill("#id_username", superuser.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    for path in ADMIN_PAGES:
        response = page.goto(f"{asgi_live_server}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
    page.goto(f"{asgi_live_server}/admin/tickets/routingrule/add/")
    page.screenshot(path=str(ARTIFACTS / "admin-routing-rule-add.png"), full_page=True)
