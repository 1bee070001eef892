"""Side conversations: from a ticket to a merchant, a courier or another team by e-mail, through the outbox,
answers threaded back by reference (headers or the reply address), never shown to the customer."""

# ruff: noqa: RUF001  (Chinese mail is written with full-width punctuation)

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail as django_mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import OutboxMessage
from profiles.models import User
from profiles.roles import Role
from tests.factories import TeamFactory, UserFactory
from tests.tickets.mails import MAILBOX, raw
from tickets import services
from tickets.channels.email.intake import email_receive
from tickets.models import EmailMessage, Mailbox, SideConversation, SideMessage, Ticket
from tickets.services import side_conversations as side

pytestmark = pytest.mark.django_db
MERCHANT = "kefu@shop-example.cn"


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(ticket: Ticket, agent: User, capture: Any) -> SideConversation:
    with capture(execute=True):
        conversation = side.side_conversation_start(
            ticket=ticket, actor=agent, counterpart=MERCHANT, subject="请核实发货记录",
            body="您好，订单 DD20261120001 的客户说没收到货，请核实出库记录。")
    # The outbox row names the task, and the relay ran it after the commit; a redelivery sends nothing more.
    row = OutboxMessage.objects.get(task_name="tickets.tasks.send_side_message")
    assert SideMessage.objects.get(pk=row.kwargs["side_message_id"]).sent_at is not None
    assert side.side_message_send(**row.kwargs) is False
    return conversation


def test_a_side_mail_goes_out_threaded_with_a_reply_address_and_never_reaches_the_customer(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], customer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = make_ticket()
    agent = make_agent()
    conversation = start(ticket, agent, django_capture_on_commit_callbacks)
    (sent,) = django_mail.outbox
    first = conversation.messages.get()
    assert sent.to == [MERCHANT] and ticket.number in sent.subject
    assert sent.extra_headers["Message-ID"] == f"<{first.message_id}>"
    assert f"+side-{conversation.token}@" in sent.extra_headers["Reply-To"]
    assert ticket.messages.count() == 1  # nothing on the ticket's own thread

    side.side_conversation_reply(conversation=conversation, actor=agent, body="补充：客户地址在北京。")
    second = conversation.messages.order_by("pk").last()
    assert second is not None and second.in_reply_to == first.message_id
    side.side_message_send(side_message_id=second.pk)
    assert django_mail.outbox[1].extra_headers["References"] == f"<{first.message_id}>"

    # The customer's pages and API never show it.
    customer_page = login(customer).get(f"/help/tickets/{ticket.pk}/").content.decode()
    assert "请核实发货记录" not in customer_page and "出库记录" not in customer_page
    api = APIClient()
    api.force_authenticate(customer)
    assert "出库记录" not in api.get(f"/api/v1/tickets/{ticket.pk}/messages/").content.decode()
    assert api.get(f"/api/v1/tickets/{ticket.pk}/side-conversations/").status_code == 403


def _merchant_reply(*, in_reply_to: str, to: str) -> bytes:
    """Shaped like a reply from Foxmail / QQ Mail: multipart/alternative in GB18030, base64, the quoted thread
    under a "原始邮件" rule in the text part and a blockquote in the HTML part."""
    text = ("您好，已核实：该订单 11月20日 已出库，顺丰单号 SF1234567890，今天派送。\n\n"
            "------------------ 原始邮件 ------------------\n发件人: \"服务中心\" <service@example.com>\n"
            "发送时间: 2026年12月7日(星期一) 上午10:12\n收件人: \"kefu\" <kefu@shop-example.cn>\n"
            "主题: 请核实发货记录 [T2026120700001]\n\n您好，订单 DD20261120001 的客户说没收到货，请核实出库记录。\n")
    html = ("<div>您好，已核实：该订单 11月20日 已出库，顺丰单号 SF1234567890，今天派送。</div><div><br></div>"
            "<div style=\"font-size:12px\"><div>------------------&nbsp;原始邮件&nbsp;------------------</div>"
            "<blockquote>您好，订单 DD20261120001 的客户说没收到货，请核实出库记录。</blockquote></div>")

    def part(subtype: str, content: str) -> str:
        encoded = base64.encodebytes(content.encode("gb18030")).decode()
        return (f"Content-Type: text/{subtype}; charset=\"gb18030\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                f"{encoded}\r\n")

    return (
        f"From: \"=?gb18030?B?{base64.b64encode('店铺客服'.encode('gb18030')).decode()}?=\" <{MERCHANT}>\r\n"
        f"To: {to}\r\nSubject: =?gb18030?B?{base64.b64encode('回复：请核实发货记录'.encode('gb18030')).decode()}?=\r\n"
        "Date: Mon, 7 Dec 2026 11:02:33 +0800\r\nMessage-ID: <tencent_8F2A1C@qq.com>\r\n"
        f"In-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\nMime-Version: 1.0\r\n"
        "X-Mailer: Foxmail 7.2.25.228[cn]\r\n"
        "Content-Type: multipart/alternative; boundary=\"----=_NextPart_6570_0A1B\"\r\n\r\n"
        "This is a multi-part message in MIME format.\r\n\r\n"
        f"------=_NextPart_6570_0A1B\r\n{part('plain', text)}------=_NextPart_6570_0A1B\r\n{part('html', html)}"
        "------=_NextPart_6570_0A1B--\r\n"
    ).encode()


def test_a_real_world_reply_is_threaded_back_beside_the_ticket_without_its_quote(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Mailbox.objects.create(address=MAILBOX, team=team)
    ticket = make_ticket()
    conversation = start(ticket, make_agent(), django_capture_on_commit_callbacks)
    first = conversation.messages.get()
    received = email_receive(raw=_merchant_reply(in_reply_to=first.message_id, to=MAILBOX))
    assert received.email.outcome == EmailMessage.Outcome.SIDE and received.email.ticket is None
    answer = conversation.messages.get(direction=SideMessage.Direction.INBOUND)
    assert "顺丰单号 SF1234567890" in answer.body and "原始邮件" not in answer.body
    assert answer.sender == MERCHANT
    assert ticket.messages.count() == 1 and Ticket.objects.count() == 1  # no ticket message, no new ticket
    # The same mail delivered again is stored once.
    assert email_receive(raw=_merchant_reply(in_reply_to=first.message_id, to=MAILBOX)).duplicate


def test_a_reply_that_lost_its_headers_is_found_by_its_reply_address(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any,
) -> None:
    conversation = start(make_ticket(), make_agent(), django_capture_on_commit_callbacks)
    reply_to = re.search(r"<(.+)>", side.reply_address(conversation))
    assert reply_to
    email_receive(raw=raw(sender=f"快递网点 <{MERCHANT}>", to=reply_to.group(1), subject="包裹在网点",
                          body="包裹在朝阳网点，明天派送。"))
    assert conversation.messages.filter(direction="in", body="包裹在朝阳网点，明天派送。").exists()
    # A guessed token matches nothing: that mail goes the normal way (a new ticket).
    email_receive(raw=raw(to="service+side-0123456789abcdef01234567@example.com", subject="猜的地址", body="hello"))
    assert SideMessage.objects.filter(body="hello").count() == 0


@pytest.mark.parametrize(("role", "page", "api"), [
    ("anonymous", 302, 401), ("customer", 403, 403), ("merchant_staff", 403, 403), ("integrator", 403, 403),
    ("outsider", 404, 404), ("agent", 200, 200), ("supervisor", 200, 200),
])
def test_who_may_see_and_write_side_conversations(
    role: str, page: int, api: int, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
    make_user: Callable[..., User],
) -> None:
    ticket = make_ticket()
    users = {"agent": lambda: make_agent(), "outsider": lambda: make_agent(teams=[TeamFactory.create()]),
             "integrator": lambda: UserFactory.create(roles=(Role.INTEGRATOR,))}
    user = None if role == "anonymous" else users.get(role, lambda: make_user(role))()
    client, api_client = Client(), APIClient()
    if user is not None:
        client.force_login(user)
        api_client.force_login(user)
    assert client.get(f"/desk/tickets/{ticket.pk}/side/").status_code == page
    posted = client.post(f"/desk/tickets/{ticket.pk}/side/new/", {"counterpart": MERCHANT, "subject": "问",
                                                                   "body": "问一下"})
    assert posted.status_code == (302 if page == 200 else page)
    assert api_client.get(f"/api/v1/tickets/{ticket.pk}/side-conversations/").status_code == api
    created = api_client.post(f"/api/v1/tickets/{ticket.pk}/side-conversations/",
                              {"counterpart": MERCHANT, "subject": "问", "body": "问一下"}, format="json")
    assert created.status_code == (201 if api == 200 else api)
    if api == 200:
        assert created.json()["counterpart"] == MERCHANT and len(created.json()["messages"]) == 1
    assert SideConversation.objects.count() == (2 if page == 200 else 0)


def test_bad_input_names_the_field_and_writes_nothing(make_ticket: Callable[..., Ticket],
                                                      make_agent: Callable[..., User]) -> None:
    ticket = make_ticket()
    agent = make_agent()
    refused = login(agent).post(f"/desk/tickets/{ticket.pk}/side/new/",
                                {"counterpart": "not an address", "subject": "问", "body": "问一下"})
    assert refused.status_code == 400 and "counterpart" in refused.context["side_form"].errors
    empty = login(agent).post(f"/desk/tickets/{ticket.pk}/side/new/", {"counterpart": MERCHANT, "subject": "问",
                                                                        "body": "   "})
    assert empty.status_code == 400 and "body" in empty.context["side_form"].errors
    api = APIClient()
    api.force_login(agent)
    bad = api.post(f"/api/v1/tickets/{ticket.pk}/side-conversations/",
                   {"counterpart": "x@", "subject": "问", "body": "问一下"}, format="json")
    assert bad.status_code == 400 and "counterpart" in bad.json()["error"]["fields"]
    assert not SideConversation.objects.exists() and not OutboxMessage.objects.exists()


def test_the_panel_costs_the_same_queries_for_one_thread_or_many(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
) -> None:
    ticket = make_ticket()
    agent = make_agent()
    client = login(agent)
    counts = []
    for threads in (1, 10):
        while SideConversation.objects.count() < threads:
            conversation = side.side_conversation_start(ticket=ticket, actor=agent, counterpart=MERCHANT,
                                                        subject="问", body="问一下")
            side.side_conversation_reply(conversation=conversation, actor=agent, body="再问一下")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/desk/tickets/{ticket.pk}/side/", HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response.content.decode().count('class="tk-side__thread ') == threads
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # The ticket page itself only holds a slot that loads the panel (its 15 queries: test_ticket_page_queries).
    slot = f'hx-get="/desk/tickets/{ticket.pk}/side/"'
    assert slot in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()


def test_the_page_of_its_own_loads_the_desk_script_and_the_panel_does_not(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
) -> None:
    """desk.js makes the order's store and courier picks fill the address and reloads the panel when an answer
    arrives; the page of its own needs it, the fragment swapped into the ticket page (which has it) must not
    load it twice."""
    ticket = make_ticket()
    client = login(make_agent())
    script = re.compile(r'<script type="module" src="[^"]*/tickets/desk\.js[^"]*" data-socket="/ws/desk/tickets/" '
                        rf'data-ticket-id="{ticket.pk}" id="desk-script">')
    page = client.get(f"/desk/tickets/{ticket.pk}/side/").content.decode()
    assert len(script.findall(page)) == 1, page
    fragment = client.get(f"/desk/tickets/{ticket.pk}/side/", HTTP_HX_REQUEST="true").content.decode()
    assert "desk.js" not in fragment


def test_merged_tickets_and_customers_cannot_start_one(make_ticket: Callable[..., Ticket],
                                                       make_agent: Callable[..., User], customer: User) -> None:
    agent = make_agent()
    source, target = make_ticket(), make_ticket()
    services.ticket_merge(source=source, target=target, actor=agent)
    source.refresh_from_db()
    with pytest.raises(services.ValidationError):
        side.side_conversation_start(ticket=source, actor=agent, counterpart=MERCHANT, subject="问", body="问")
    with pytest.raises(services.NotAllowed):
        side.side_conversation_start(ticket=target, actor=customer, counterpart=MERCHANT, subject="问", body="问")
