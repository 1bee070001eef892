# ruff: noqa: RUF001  (Chinese customer text uses full-width punctuation)
"""In a real browser: the customer writes on their complaint, the desk sees it on the ticket with a link back
to the request, solves the ticket with a resolution note, and the customer's timeline shows the complaint closed."""

from typing import Any

import pytest

from aftersales.services import setup
from profiles import services
from profiles.roles import Role
from tests.aftersales.factories import apply, make_order
from tests.aftersales.test_browser import log_in
from tests.browser import ARTIFACTS
from tests.factories import CustomerProfileFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db: None) -> dict[str, Any]:
    setup.reference_data_ensure()
    customer = CustomerProfileFactory.create(user__display_name="张小明").user
    store = StoreFactory.create(name="良味零食旗舰店")
    services.store_add_staff(store=store, user=UserFactory.create(display_name="良味客服"))
    request = apply(make_order(customer=customer, store=store), request_type="complaint", reason="delivery",
                    description="下单一周还没发货，客服不回复")
    supervisor = UserFactory.create(display_name="客服主管 林佳", roles=(Role.SUPERVISOR,))
    return {"customer": customer, "request": request, "supervisor": supervisor}


def test_complaint_message_desk_link_and_resolution(scene: dict[str, Any], asgi_live_server: str,
                                                    chromium_page: Any) -> None:
    base, page = asgi_live_server, chromium_page
    request = scene["request"]
    path = f"/aftersales/requests/{request.number}/"
    log_in(page, base, scene["customer"].username, path)
    page.fill("#message-form textarea[name=body]", "麻烦帮我催一下商家，急用")
    page.click("#message-form button[type=submit]")
    page.wait_for_selector(".alert--success")
    assert "麻烦帮我催一下商家" in page.locator("#conversation").inner_text()
    page.goto(f"{base}{path}")  # from the top: a full-page shot of a scrolled page paints the sticky header mid-way
    page.screenshot(path=str(ARTIFACTS / "aftersales-request-conversation.png"), full_page=True)

    desk_context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    desk = desk_context.new_page()
    try:
        ticket_path = f"/desk/tickets/{request.ticket_id}/"
        log_in(desk, base, scene["supervisor"].username, ticket_path)
        assert request.number in desk.locator("#related-links").inner_text()
        assert "麻烦帮我催一下商家" in desk.locator("#thread").inner_text()
        desk.screenshot(path=str(ARTIFACTS / "desk-ticket-aftersales-link.png"), full_page=True)
        desk.select_option("#status-form select[name=status]", "solved")
        desk.fill("#status-form input[name=reason]", "已督促商家今日发货并补偿 10 元券")
        desk.click("#status-form button[type=submit]")
        desk.wait_for_selector(".alert--success")
        desk.click(f"#related-links a[href='/aftersales/arbitration/{request.number}/']")
        desk.wait_for_url(f"{base}/aftersales/arbitration/{request.number}/")
        assert "已督促商家今日发货" in desk.locator("#timeline").inner_text()
        assert desk.locator("#ticket-link").count() == 1
        desk.screenshot(path=str(ARTIFACTS / "aftersales-arbitration-ticket.png"), full_page=True)
    finally:
        desk_context.close()

    page.goto(f"{base}{path}")
    assert "已督促商家今日发货" in page.locator("#timeline").inner_text()
    assert page.locator("#evaluation-form").count() == 1
    page.screenshot(path=str(ARTIFACTS / "aftersales-complaint-resolved.png"), full_page=True)
