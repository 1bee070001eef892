"""An agent starts a side conversation from the ticket page: the panel loads after the page, the thread shows
beside the ticket, and the customer's page never shows it; an answer with a file appears live (only the panel
reloads, drafts kept), and closed threads stay folded. Screenshots of the panel in both languages."""

import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from profiles.models import AgentProfile
from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.e2e.test_tickets_live import _context, _cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tests.tickets.test_side_conversation_files_and_status import PDF, PNG, _answer
from tickets import services
from tickets.channels.email.intake import email_receive
from tickets.models import Mailbox, SideConversation, Ticket
from tickets.services import side_conversations as side

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


@pytest.fixture
def answered_scene(transactional_db: None) -> tuple[Ticket, SideConversation, str, bytes]:
    """A ticket with two side conversations: one open (its mail carried a PDF), one settled and closed; and the
    courier's answer to the open one, with a file (made now: no sync queries once the browser's loop runs)."""
    team = TeamFactory.create(name="物流组")
    agent = AgentProfileFactory.create(user__display_name="李娜", user__roles=(Role.AGENT,),
                                       presence=AgentProfile.Presence.ONLINE)
    agent.teams.add(team)
    customer = CustomerProfileFactory.create(user__display_name="张伟", user__roles=(Role.CUSTOMER,)).user
    ticket = services.ticket_create(customer=customer, subject="显示签收但没收到", team=team,
                                    body="快递显示已签收，但我没有收到。")  # noqa: RUF001
    settled = side.side_conversation_start(ticket=ticket, actor=agent.user, counterpart="ops@warehouse.cn",
                                           subject="仓库出库记录", body="请确认出库时间。")
    side.side_conversation_close(conversation=settled, actor=agent.user)
    asked = side.side_conversation_start(
        ticket=ticket, actor=agent.user, counterpart="kefu@sf-example.cn", subject="请提供签收底单",
        body="运单 SF1234567890 显示已签收，请提供签收底单。",  # noqa: RUF001
        uploads=[SimpleUploadedFile("客户说明.pdf", PDF)])
    answer = _answer(asked, body="签收底单见附件，快递员放在了驿站。", files=[("签收底单.png", PNG, "image/png")])  # noqa: RUF001
    return ticket, asked, _cookie(agent.user), answer


def _receive_in_another_thread(raw: bytes) -> None:
    """The mail intake as the IMAP poller runs it: its own thread (the browser's event loop owns this one)."""

    def run() -> None:
        try:
            email_receive(raw=raw)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def test_an_answer_with_a_file_appears_live_and_closed_threads_stay_folded(
    answered_scene: tuple[Ticket, SideConversation, str, bytes], asgi_live_server: str, chromium_page: Any
) -> None:
    ticket, asked, cookie, raw = answered_scene
    agent = _context(chromium_page, asgi_live_server, cookie)
    try:
        page = agent.new_page()
        page.goto(f"{asgi_live_server}/desk/tickets/{ticket.pk}/")
        page.wait_for_selector(f"#side-{asked.pk} >> text=客户说明.pdf")
        page.wait_for_selector("#live-status[data-state=open]")
        page.evaluate("window.notReloaded = true")
        page.fill(f"#side-reply-{asked.pk}", "草稿还没写完")

        _receive_in_another_thread(raw)
        page.wait_for_selector(f"#side-{asked.pk} >> text=快递员放在了驿站")
        assert page.evaluate("window.notReloaded") is True  # the panel reloaded, not the page
        assert page.input_value(f"#side-reply-{asked.pk}") == "草稿还没写完"  # the draft survived
        link = page.locator(f"#side-{asked.pk} a", has_text="签收底单.png")
        assert link.get_attribute("href", timeout=5_000).startswith("/desk/tickets/side/attachments/")
        closed = page.locator("#side-conversations details[data-status=closed]")
        assert closed.count() == 1 and closed.get_attribute("open") is None
        assert "已关闭" in closed.locator("summary").inner_text()
        page.locator("#side-conversations").scroll_into_view_if_needed()
        page.locator("#side-conversations").screenshot(path=str(ARTIFACTS / "tickets-side-conversations-answered.png"))
    finally:
        agent.close()
