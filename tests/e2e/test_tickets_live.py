"""Two browsers: a customer files a ticket and it appears in the agent's queue live; the agent replies
and the customer's ticket page shows the reply without a reload. Screenshots of every tickets page."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from waffle.models import Flag

from profiles.models import AgentProfile, User
from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tests.knowledge.factories import ArticleFactory
from tickets import services
from tickets.models import CannedResponse, RoutingRule, SatisfactionSurvey, Ticket

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Scene:
    agent: User
    customer: User
    ticket: Ticket
    solved_token: str
    cookies: dict[str, str]


def _cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def scene(transactional_db: None) -> Scene:
    """Made before the browser starts: Django refuses sync queries once Playwright's loop runs."""
    team = TeamFactory.create(name="售后一组")
    profile = AgentProfileFactory.create(user__display_name="王磊", user__roles=(Role.AGENT,),
                                         presence=AgentProfile.Presence.ONLINE, capacity=8)
    profile.teams.add(team)
    # Everything from the help center lands in this team's queue.
    RoutingRule.objects.create(name="默认", team=team)
    # The suggestions panel's flag, in case an earlier transactional test's flush removed the migration's row.
    Flag.objects.update_or_create(name="desk_ticket_suggestions", defaults={"percent": 99.9, "everyone": None})
    ArticleFactory.create(slug="shipping-time", title_zh="下单后多久发货", question_zh="订单什么时候发货",
                          body_zh="现货商品在付款后 48 小时内发货。")
    customer = CustomerProfileFactory.create(user__display_name="张伟", user__roles=(Role.CUSTOMER,),
                                             user__phone="13812345678", vip_level=2, tags=["老客户"]).user
    ticket = services.ticket_create(customer=customer, subject="订单一直没有发货", team=team, priority="high",
                                    body="我三天前下的单，到现在还没有发货，麻烦查一下。",  # noqa: RUF001
                                    order_number="DD20261120001", tags=["物流"])
    services.ticket_create(customer=customer, subject="发票抬头开错了", body="请帮忙重开发票。", team=team,
                           channel="email", priority="urgent")
    services.ticket_add_note(ticket=ticket, author=profile.user, body="仓库说今天下午发货，先安抚客户。")  # noqa: RUF001
    CannedResponse.objects.create(title="催发货安抚",
                                  body="{{ customer.name }} 您好，订单 {{ order.number }} 已为您加急。")  # noqa: RUF001
    old = services.ticket_create(customer=customer, subject="退款到账了吗", body="退款什么时候到账？", team=team)  # noqa: RUF001
    services.ticket_transition(ticket=old, target="solved", actor=profile.user)
    token = services.survey_token(SatisfactionSurvey.objects.get(ticket=old))
    return Scene(agent=profile.user, customer=customer, ticket=ticket, solved_token=token,
                 cookies={"agent": _cookie(profile.user), "customer": _cookie(customer)})


def _context(page: Any, base: str, session: str, language: str = "zh-hans") -> Any:
    context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    host = base.split("//")[1].split(":")[0]
    context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"},
    ])
    return context


def test_customer_files_agent_sees_it_live_and_reply_reaches_customer_live(
    scene: Scene, asgi_live_server: str, chromium_page: Any
) -> None:
    base = asgi_live_server
    agent_context = _context(chromium_page, base, scene.cookies["agent"])
    customer_context = _context(chromium_page, base, scene.cookies["customer"])
    try:
        desk = agent_context.new_page()
        desk.goto(f"{base}/desk/tickets/")
        desk.wait_for_selector("#live-status[data-state=open]")
        assert desk.title() == "工单 · 服务中心"
        desk.screenshot(path=str(ARTIFACTS / "tickets-queue.png"), full_page=True)

        customer = customer_context.new_page()
        customer.goto(f"{base}/help/tickets/new/")
        customer.fill("#id_subject", "收到的耳机左耳没声音")
        customer.fill("#id_description", "蓝牙耳机左耳完全没有声音，重新配对也不行。")  # noqa: RUF001
        customer.screenshot(path=str(ARTIFACTS / "tickets-contact-form.png"), full_page=True)
        customer.click("#contact-form button[type=submit]")
        customer.wait_for_url("**/help/tickets/*/")

        # The new ticket shows up in the agent's queue without a reload.
        desk.wait_for_selector("#queue-body >> text=收到的耳机左耳没声音")

        customer.goto(f"{base}/help/tickets/{scene.ticket.pk}/")
        customer.wait_for_selector("#live-status[data-state=open]")
        assert "仓库说今天下午发货" not in customer.content()

        desk.goto(f"{base}/desk/tickets/{scene.ticket.pk}/")
        # The knowledge panel asks the API about the ticket and lists the matching article.
        desk.locator("#kb-suggestions li a", has_text="下单后多久发货").wait_for()
        desk.select_option("#canned-picker", index=1)
        assert "张伟 您好，订单 DD20261120001 已为您加急。" in desk.input_value("#id_body")  # noqa: RUF001
        desk.screenshot(path=str(ARTIFACTS / "tickets-ticket.png"), full_page=True)
        desk.fill("#id_body", "您好，仓库今天下午发货，请留意物流信息。")  # noqa: RUF001
        desk.click("#send-reply")
        desk.wait_for_selector("#thread >> text=仓库今天下午发货")

        # ... and the customer's open page shows the reply live.
        customer.wait_for_selector("#thread >> text=仓库今天下午发货")
        customer.wait_for_selector("#ticket-status .tk-status--open")
        assert customer.locator(".tk-msg--note").count() == 0
        customer.screenshot(path=str(ARTIFACTS / "tickets-customer-ticket.png"), full_page=True)

        customer.goto(f"{base}/help/tickets/")
        customer.screenshot(path=str(ARTIFACTS / "tickets-my-tickets.png"), full_page=True)
        customer.goto(f"{base}/help/tickets/survey/{scene.solved_token}/")
        customer.screenshot(path=str(ARTIFACTS / "tickets-survey.png"), full_page=True)
        customer.goto(f"{base}/help/tickets/survey/forged/")
        assert customer.locator("#survey-refused").is_visible()

        english = _context(chromium_page, base, scene.cookies["agent"], language="en")
        page = english.new_page()
        page.goto(f"{base}/desk/tickets/{scene.ticket.pk}/")
        assert page.title().endswith("Service Center")
        page.screenshot(path=str(ARTIFACTS / "tickets-ticket-en.png"), full_page=True)
        english.close()
    finally:
        agent_context.close()
        customer_context.close()
