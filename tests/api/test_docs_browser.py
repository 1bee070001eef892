"""Swagger UI renders the API in a real browser with every outside request blocked."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_swagger_ui_works_offline(live_server: Any) -> None:
    server = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == server or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_local)
            page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector("text=/api/v1/customers/", timeout=15_000)
            assert page.locator(".opblock-tag", has_text="customers").count() == 1
        finally:
            browser.close()
    assert outside == []
