"""The desk's global search in a real browser: the box in the top bar of a desk page, Enter, and the
results page with the query's words highlighted (screenshots of both)."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tickets import services

pytestmark = pytest.mark.browser


@pytest.fixture
def cookie(transactional_db: None) -> str:
    team = TeamFactory.create()
    profile = AgentProfileFactory.create(user__display_name="王磊", user__roles=(Role.AGENT,))
    profile.teams.set([team])
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__display_name="李娜").user
    services.ticket_create(customer=customer, subject="申请退款三天了还没到账", team=team,
                           body="我上周申请退款了，客服说原路退回，可是银行卡一直没收到。<b>请尽快</b>")  # noqa: RUF001
    services.ticket_create(customer=customer, subject="快递破损", team=team, order_number="JD2026120600042",
                           body="收到的时候外包装破了，里面的杯子碎了，要求退款或者换货。")  # noqa: RUF001
    services.ticket_create(customer=customer, subject="发票抬头写错", team=team, body="麻烦重新开一张发票")
    client = Client()
    client.force_login(profile.user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_search_box_on_desk_pages_leads_to_highlighted_results(cookie: str, asgi_live_server: str,
                                                               chromium_page: Any) -> None:
    host = asgi_live_server.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": host,
                                        "path": "/"}])
    chromium_page.goto(f"{asgi_live_server}/desk/tickets/")
    box = chromium_page.locator("#desk-search-q")
    assert box.is_visible()
    box.fill("退款")
    chromium_page.screenshot(path=str(ARTIFACTS / "tickets-search-box.png"))
    box.press("Enter")
    chromium_page.wait_for_url("**/desk/tickets/search/?q=*")
    results = chromium_page.locator("#search-results .tk-result")
    assert results.count() == 2
    assert chromium_page.locator("#search-results mark").first.inner_text() == "退款"
    # User text is shown as text, never as markup.
    assert "<b>请尽快</b>" in chromium_page.locator("#search-results").inner_text()
    assert chromium_page.locator("#desk-search-q").input_value() == "退款"
    chromium_page.screenshot(path=str(ARTIFACTS / "tickets-search-results.png"), full_page=True)
    # On a phone the box stays in the top bar beside the account tools.
    chromium_page.set_viewport_size({"width": 390, "height": 800})
    assert chromium_page.locator("#desk-search-q").is_visible()
    chromium_page.screenshot(path=str(ARTIFACTS / "tickets-search-results-narrow.png"), full_page=True)
