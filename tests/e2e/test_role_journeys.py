"""Each role's main journey in a real browser, a screenshot at every step (test-artifacts/journey-*.png).

One live server and one Chromium for every role (each role its own browser context and session), so the
whole walk costs one start-up. A step fails on any console error, any failed request and any response of
400 or more, and the top bar must fit a 1280 px window without sideways scrolling (a supervisor's many
sections go under "More").
"""

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.browser import ARTIFACTS, in_thread
from tests.test_permission_matrix import World, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def _journeys(w: World) -> dict[str, list[tuple[str, str]]]:
    """Per role: (step name, path), in the order a person would click through."""
    return {
        "customer": [("help", "/help/"), ("search", "/help/search/?q=退款"), ("tickets", "/help/tickets/"),
                     ("ticket", f"/help/tickets/{w.ticket.pk}/"), ("aftersales", "/aftersales/"),
                     ("request", f"/aftersales/requests/{w.request.number}/")],
        "agent": [("desk", "/desk/"), ("queue", "/desk/tickets/"), ("ticket", f"/desk/tickets/{w.ticket.pk}/"),
                  ("other-team-ticket", f"/desk/tickets/{w.other_ticket.pk}/"),
                  ("customer-360", f"/desk/customers/{w.ticket.customer_id}/"), ("chats", "/desk/chats/")],
        "supervisor": [("desk", "/desk/"), ("queue-breached", "/desk/tickets/?view=breached"),
                       ("reports", "/reports/"), ("agents", "/reports/agents/"), ("live", "/reports/live/")],
        "qa": [("quality", "/reports/quality/"), ("reports", "/reports/"), ("ticket", f"/desk/tickets/{w.ticket.pk}/")],
        "merchant_staff": [("merchant", "/merchant/"), ("store", f"/merchant/stores/{w.store.pk}/"),
                           ("request", f"/merchant/requests/{w.request.number}/")],
        "admin": [("admin", "/admin/"), ("desk", "/desk/"), ("merchant", "/merchant/"),
                  ("exports", "/reports/exports/")],
    }


def _watch(page: Any, server: str) -> list[str]:
    """Console errors, failed requests and error answers from the live server, as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))
    page.on("response", lambda response: problems.append(f"{response.status}: {response.url}")
            if response.status >= 400 and urlsplit(response.url).netloc == server else None)
    return problems


def _top_bar_fits(page: Any) -> bool:
    return bool(page.evaluate("""() => {
        // The admin has its own header; every other page has the project's top bar.
        const fits = (element) => !element || element.scrollWidth <= element.clientWidth + 1;
        return fits(document.querySelector('.mainnav')) && fits(document.querySelector('.topbar__inner'))
            && document.documentElement.scrollWidth <= window.innerWidth;
    }"""))


def test_each_roles_main_journey(world: World, asgi_live_server: str, chromium_page: Any) -> None:  # noqa: F811
    server = urlsplit(asgi_live_server).netloc
    journeys = in_thread(lambda: _journeys(world))
    cookies: dict[str, str] = in_thread(lambda: {
        role: world.client(role).cookies[settings.SESSION_COOKIE_NAME].value for role in journeys})
    browser = chromium_page.context.browser
    for role, steps in journeys.items():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookies[role],
                              "domain": server.split(":")[0], "path": "/"}])
        page = context.new_page()
        problems = _watch(page, server)
        try:
            for step, path in steps:
                page.goto(f"{asgi_live_server}{path}", wait_until="networkidle")
                page.screenshot(path=str(ARTIFACTS / f"journey-{role}-{step}.png"), full_page=True)
                assert problems == [], f"{role} / {step} ({path}): {problems}"
                assert _top_bar_fits(page), f"{role} / {step}: the top bar scrolls sideways at 1280 px"
            if role == "supervisor":
                _open_more(page, asgi_live_server, problems)
        finally:
            context.close()


def _open_more(page: Any, base: str, problems: list[str]) -> None:
    """The sections that do not fit open from "More", and lead where they say."""
    page.goto(f"{base}/desk/", wait_until="networkidle")
    page.click("#nav-more summary")
    page.screenshot(path=str(ARTIFACTS / "journey-supervisor-more-menu.png"))
    page.click("#nav-more a[href='/admin/']")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/admin/") and problems == [], problems
