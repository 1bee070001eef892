"""A mail service posts an inbound e-mail: it appears live in the agent's queue, and the agent's reply
arrives at a real SMTP server with the threading headers. Screenshots of the queue and the ticket."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from profiles.models import AgentProfile, User
from profiles.roles import Role
from tests.browser import ARTIFACTS, in_thread
from tests.factories import AgentProfileFactory, TeamFactory, UserFactory
from tests.tickets.mails import MAILBOX, png_bytes, raw
from tests.tickets.mailservers import SmtpInbox
from tickets.models import EmailMessage, Mailbox, Ticket

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Scene:
    agent: User
    token: str
    agent_cookie: str
    supervisor_cookie: str
    mailbox_id: int


@pytest.fixture
def scene(transactional_db: None) -> Scene:
    team = TeamFactory.create(name="邮件组")
    profile = AgentProfileFactory.create(user__display_name="王磊", user__roles=(Role.AGENT,),
                                         presence=AgentProfile.Presence.ONLINE, capacity=8)
    profile.teams.add(team)
    mailbox = Mailbox.objects.create(address=MAILBOX, team=team, imap_host="imap.shop.example",
                                     imap_user=MAILBOX, imap_password="never-shown")
    token = Token.objects.create(user=UserFactory.create(roles=(Role.INTEGRATOR,)))
    return Scene(agent=profile.user, token=token.key, agent_cookie=_cookie(profile.user),
                 supervisor_cookie=_cookie(UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)),
                 mailbox_id=mailbox.pk)


def _cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _post_mail(page: Any, base: str, token: str, body: bytes) -> dict[str, Any]:
    """What a mail service does: POST the raw mail with the integrator's token (the token decides who is calling)."""
    response = page.request.post(f"{base}/api/v1/email/inbound/", data=body, headers={
        "Authorization": f"Token {token}", "Content-Type": "message/rfc822"})
    assert response.status == 201, response.text()
    return dict(response.json())


def test_inbound_mail_appears_live_and_the_agents_reply_reaches_the_smtp_server(
    scene: Scene, smtp_server: SmtpInbox, asgi_live_server: str, chromium_page: Any,
) -> None:
    base = asgi_live_server
    host = base.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": scene.agent_cookie, "domain": host, "path": "/"},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "domain": host, "path": "/"},
    ])
    desk = chromium_page
    desk.goto(f"{base}/desk/tickets/")
    desk.wait_for_selector("#live-status[data-state=open]")

    mail = raw(sender="张伟 <zhangwei@example.com>", subject="耳机左耳没有声音", message_id="<first@example.com>",
               body="蓝牙耳机左耳完全没有声音。\n\nOn Sun, Nov 22, 2026 Support <support@shop.example> wrote:\n> 旧的",
               attachments=(("耳机.png", png_bytes(), "image/png"),))
    result = _post_mail(desk, base, scene.token, mail)

    # The new e-mail ticket shows up in the agent's queue without a reload.
    row = desk.locator("#queue-body tr", has_text="耳机左耳没有声音")
    row.wait_for()
    assert "电子邮件" in row.inner_text()
    desk.screenshot(path=str(ARTIFACTS / "email-queue.png"), full_page=True)

    ticket_id = in_thread(lambda: Ticket.objects.get(number=result["ticket"]).pk)
    desk.goto(f"{base}/desk/tickets/{ticket_id}/")
    desk.wait_for_selector("#thread >> text=蓝牙耳机左耳完全没有声音")
    assert "旧的" not in desk.locator("#thread").inner_text()  # the quoted history is cut
    desk.wait_for_selector("#thread >> text=耳机.png")
    desk.fill("#id_body", "您好，请把耳机寄回，我们为您换新。")  # noqa: RUF001
    desk.click("#send-reply")
    desk.wait_for_selector("#thread >> text=我们为您换新")

    (sent,) = smtp_server.wait_for(1, timeout=20)
    assert sent["To"] == "zhangwei@example.com" and sent["In-Reply-To"] == "<first@example.com>"
    assert sent["Subject"].strip() == f"Re: 耳机左耳没有声音 [{result['ticket']}]"
    assert "我们为您换新" in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    record = in_thread(lambda: EmailMessage.objects.get(direction="out"))
    assert record.outcome == "sent" and sent["Message-ID"] == f"<{record.message_id}>"
    desk.screenshot(path=str(ARTIFACTS / "email-ticket.png"), full_page=True)

    # The supervisor's mailbox set-up page: the stored password is never sent back to the browser.
    chromium_page.context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": scene.supervisor_cookie, "domain": host, "path": "/"}])
    desk.goto(f"{base}/admin/tickets/mailbox/{scene.mailbox_id}/change/")
    assert desk.input_value("#id_imap_password") == "" and "never-shown" not in desk.content()
    desk.screenshot(path=str(ARTIFACTS / "email-mailbox-admin.png"), full_page=True)

    # A mail held by the per-sender limit: the supervisor releases it from the e-mail record onto a ticket.
    held_raw = raw(sender="张伟 <zhangwei@example.com>", subject="还能开发票吗", message_id="<held-1@example.com>",
                   body="订单还能补开发票吗？")  # noqa: RUF001
    held = in_thread(lambda: EmailMessage.objects.create(
        direction="in", outcome="held", message_id="held-1@example.com", mailbox_id=scene.mailbox_id,
        counterpart="zhangwei@example.com", subject="还能开发票吗", detail="More than 20 mails in an hour",
        raw=held_raw))
    desk.goto(f"{base}/admin/tickets/emailmessage/?outcome__exact=held")
    desk.check(f"input[name=_selected_action][value='{held.pk}']")
    desk.select_option("select[name=action]", "release_held")
    desk.screenshot(path=str(ARTIFACTS / "email-held-admin.png"), full_page=True)
    desk.click("button[name=index]")
    desk.wait_for_selector("text=已放行 1 封暂扣邮件")
    released = in_thread(lambda: EmailMessage.objects.select_related("ticket").get(pk=held.pk))
    assert released.outcome == "ticket" and released.ticket is not None and released.ticket.subject == "还能开发票吗"
