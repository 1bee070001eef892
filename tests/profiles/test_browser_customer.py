"""In a real browser: from a desk ticket the agent opens the customer's 360 page and pages back in time."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aftersales.services import setup
from tests.aftersales.factories import apply, make_order
from tests.browser import ARTIFACTS, in_thread
from tests.chat.factories import say, start_chat
from tests.chat.test_browser import session_cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tickets import services as ticket_services
from tickets.models import CallRecord, EmailMessage

pytestmark = pytest.mark.browser


def _world() -> dict[str, Any]:
    setup.reference_data_ensure()
    customer = CustomerProfileFactory.create(user__display_name="周小芸", vip_level=2).user
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    team = TeamFactory.create()
    agent.agent_profile.teams.add(team)
    request = apply(make_order(customer=customer))
    conversation = start_chat(customer)
    say(conversation, customer, "我想问一下退款多久到账")
    ticket = ticket_services.ticket_create(customer=customer, subject="发票抬头写错了", body="请帮我改成公司抬头",
                                           team=team)
    for number in range(30):
        ticket_services.ticket_reply(ticket=ticket, author=agent, body=f"第 {number + 1} 次跟进 正在处理")
    started = timezone.now()
    CallRecord.objects.create(call_id="CALL-360", ticket=ticket, started_at=started,
                              ended_at=started + timedelta(seconds=95), ivr_path=["2 发票"])
    EmailMessage.objects.create(direction="out", outcome="sent", message_id="invoice-360@example.com", ticket=ticket,
                                subject="发票已重开", counterpart="zhou@example.com", raw=b"", bounced_at=started)
    return {"agent": agent, "ticket": ticket, "request": request}


def test_ticket_links_to_the_customer_timeline(asgi_live_server: str, chromium_page: Any) -> None:
    world = in_thread(_world)
    page = chromium_page
    page.context.add_cookies([in_thread(lambda: session_cookie(world["agent"], asgi_live_server))])
    page.goto(f"{asgi_live_server}/desk/tickets/{world['ticket'].pk}/")
    page.click("#customer-360")
    page.wait_for_selector("#timeline")
    first_page = page.locator("#timeline").inner_text()
    assert "第 30 次跟进" in first_page and "我想问一下退款多久到账" not in first_page
    assert "IVR：2 发票" in first_page and "发票已重开" in first_page and "已退信" in first_page  # noqa: RUF001
    page.screenshot(path=str(ARTIFACTS / "customer-360.png"), full_page=True)
    page.click("#timeline-older")
    page.wait_for_selector("#timeline-newest")
    older = page.locator("#timeline").inner_text()
    assert "我想问一下退款多久到账" in older and world["request"].number in older
    page.screenshot(path=str(ARTIFACTS / "customer-360-older.png"), full_page=True)


def test_tags_merge_form_and_customer_preferences(asgi_live_server: str, chromium_page: Any) -> None:
    from profiles.models import CustomerProfile, User
    from profiles.roles import Role
    from tests.factories import UserFactory

    def world() -> tuple[User, User]:
        customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__display_name="周小芸",
                                                 rule_tags=["常退款"]).user
        return customer, UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)

    customer, supervisor = in_thread(world)
    page = chromium_page
    page.context.add_cookies([in_thread(lambda: session_cookie(supervisor, asgi_live_server))])
    page.goto(f"{asgi_live_server}/desk/customers/{customer.pk}/")
    page.fill("#tag-form input[name=tag]", "爱退货")
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector("#customer-tags li:has-text('爱退货')")
    assert "常退款" in page.locator("#customer-tags .chip--rule").inner_text()
    assert page.locator("#merge-form").is_visible()
    page.screenshot(path=str(ARTIFACTS / "customer-360-tags.png"), full_page=True)

    page.context.clear_cookies()
    page.context.add_cookies([in_thread(lambda: session_cookie(customer, asgi_live_server))])
    page.goto(f"{asgi_live_server}/accounts/preferences/")
    page.check("#id_marketing_consent")
    page.click("#preferences-form button[type=submit]")
    page.wait_for_selector("#consent-when")
    page.screenshot(path=str(ARTIFACTS / "customer-preferences.png"), full_page=True)
    assert in_thread(lambda: CustomerProfile.objects.get(user=customer).marketing_consent) is True
