"""Collision detection with two agents in two browsers: B sees A viewing and typing on the ticket, and A's
reply, written before B's newer public reply arrived, is held with B's message shown until A confirms."""

from typing import Any

import pytest

from profiles.models import AgentProfile, User
from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.e2e.test_tickets_live import _context, _cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.browser


def _agent(name: str, team: Any) -> User:
    profile = AgentProfileFactory.create(user__display_name=name, user__roles=(Role.AGENT,),
                                         presence=AgentProfile.Presence.ONLINE)
    profile.teams.add(team)
    return profile.user


@pytest.fixture
def scene(transactional_db: None) -> tuple[Ticket, dict[str, str]]:
    """Made before the browser starts: Django refuses sync queries once Playwright's loop runs."""
    team = TeamFactory.create(name="售后二组")
    li, wang = _agent("李娜", team), _agent("王芳", team)
    customer = CustomerProfileFactory.create(user__display_name="张伟", user__roles=(Role.CUSTOMER,)).user
    ticket = services.ticket_create(customer=customer, subject="耳机左耳没声音", team=team,
                                    body="蓝牙耳机左耳完全没有声音。")
    return ticket, {"a": _cookie(li), "b": _cookie(wang)}


def test_two_agents_see_each_other_and_a_stale_reply_is_held(
    scene: tuple[Ticket, dict[str, str]], asgi_live_server: str, chromium_page: Any
) -> None:
    ticket, cookies = scene
    base = asgi_live_server
    url = f"{base}/desk/tickets/{ticket.pk}/"
    a_context = _context(chromium_page, base, cookies["a"])
    b_context = _context(chromium_page, base, cookies["b"])
    try:
        a = a_context.new_page()
        a.goto(url)
        a.wait_for_selector("#live-status[data-state=open]")
        b = b_context.new_page()
        b.goto(url)
        b.wait_for_selector("#live-status[data-state=open]")

        # Each sees the other on the ticket; B sees A typing.
        b.wait_for_selector("#collision-viewing >> text=同时在看：李娜")  # noqa: RUF001
        a.wait_for_selector("#collision-viewing >> text=同时在看：王芳")  # noqa: RUF001
        a.type("#id_body", "您好，已为您")  # noqa: RUF001
        b.wait_for_selector("#collision-typing >> text=李娜 正在输入回复…")
        b.screenshot(path=str(ARTIFACTS / "tickets-collision.png"), full_page=True)

        # B answers first; A's page loaded before B's reply, so A's send is held with B's message shown.
        b.fill("#id_body", "您好，请提供订单号，我们马上为您换货。")  # noqa: RUF001
        b.click("#send-reply")
        b.wait_for_selector("#thread >> text=马上为您换货")
        a.type("#id_body", "安排退货。")
        a.click("#send-reply")
        a.wait_for_selector("#newer-messages >> text=马上为您换货")
        assert a.input_value("#id_body") == "您好，已为您安排退货。"  # noqa: RUF001
        a.screenshot(path=str(ARTIFACTS / "tickets-collision-held.png"), full_page=True)
        assert a.locator("#thread >> text=已为您安排退货").count() == 0

        # Sending again is the confirmation.
        a.click("#send-reply")
        a.wait_for_selector("#thread >> text=已为您安排退货")
        assert a.locator("#newer-messages").count() == 0
    finally:
        a_context.close()
        b_context.close()
