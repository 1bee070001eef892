"""An agent starts a side conversation from the ticket page: the panel loads after the page, the thread shows
beside the ticket, and the customer's page never shows it. Screenshots of the panel in both languages."""

from typing import Any

import pytest

from profiles.models import AgentProfile
from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.e2e.test_tickets_live import _context, _cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tickets import services
from tickets.models import Mailbox, Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db: None) -> tuple[Ticket, dict[str, str]]:
    team = TeamFactory.create(name="物流组")
    Mailbox.objects.create(address="wuliu@example.com", team=team)
    profile = AgentProfileFactory.create(user__display_name="李娜", user__roles=(Role.AGENT,),
                                         presence=AgentProfile.Presence.ONLINE)
    profile.teams.add(team)
    customer = CustomerProfileFactory.create(user__display_name="张伟", user__roles=(Role.CUSTOMER,)).user
    ticket = services.ticket_create(customer=customer, subject="快递三天没动", team=team,
                                    body="物流信息三天没有更新了。")
    return ticket, {"agent": _cookie(profile.user), "customer": _cookie(customer)}


def test_agent_starts_a_side_conversation_the_customer_never_sees_it(
    scene: tuple[Ticket, dict[str, str]], asgi_live_server: str, chromium_page: Any
) -> None:
    ticket, cookies = scene
    base = asgi_live_server
    agent = _context(chromium_page, base, cookies["agent"])
    customer = _context(chromium_page, base, cookies["customer"])
    try:
        page = agent.new_page()
        page.goto(f"{base}/desk/tickets/{ticket.pk}/")
        page.locator("#side-conversations summary", has_text="新建附带对话").click()
        page.fill("#id_counterpart", "kefu@sf-example.cn")
        page.fill("#id_subject", "请查询运单状态")
        page.fill("#side-new-form #id_body", "您好，运单 SF1234567890 三天没有更新，请协助查询。")  # noqa: RUF001
        page.click("#side-new-form button[type=submit]")
        page.wait_for_selector("#side-conversations .tk-side__thread >> text=请查询运单状态")
        page.locator("#side-conversations").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "tickets-side-conversations.png"), full_page=True)

        mine = customer.new_page()
        mine.goto(f"{base}/help/tickets/{ticket.pk}/")
        assert "请查询运单状态" not in mine.content() and "SF1234567890" not in mine.content()

        english = _context(chromium_page, base, cookies["agent"], language="en")
        en_page = english.new_page()
        en_page.goto(f"{base}/desk/tickets/{ticket.pk}/")
        en_page.wait_for_selector("#side-conversations >> text=Not shown to the customer")
        en_page.screenshot(path=str(ARTIFACTS / "tickets-side-conversations-en.png"), full_page=True)
        english.close()
    finally:
        agent.close()
        customer.close()
