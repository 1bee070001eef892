"""Inbound e-mail: customer lookup, threading, quotes, attachments, loop protection, bounces, duplicates."""

import threading
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from django.core import mail as django_mail
from django.db import connection, connections

from profiles.models import CustomerProfile, Team, User
from profiles.roles import Role
from tests.factories import CustomerProfileFactory, UserFactory
from tests.tickets.mails import MAILBOX, bounce_for, png_bytes, raw
from tickets import services
from tickets.channels.email import intake
from tickets.channels.email.intake import email_receive
from tickets.channels.email.parsing import MalformedEmail
from tickets.models import Channel, EmailMessage, Mailbox, Ticket, TicketAttachment, TicketMessage
from tickets.services.common import BODY_MAX

pytestmark = pytest.mark.django_db
Outcome = EmailMessage.Outcome


@pytest.fixture
def mailbox(team: Team) -> Mailbox:
    return Mailbox.objects.create(address=MAILBOX, team=team)


def receive(**kwargs: Any) -> EmailMessage:
    return email_receive(raw=raw(**kwargs)).email


def test_a_new_mail_opens_an_email_ticket_for_a_new_customer_in_the_mailbox_team(mailbox: Mailbox) -> None:
    email = receive(subject="订单一直没有发货", body="我三天前下的单。\n\n张伟")

    ticket = email.ticket
    assert ticket is not None and email.outcome == Outcome.TICKET
    assert (ticket.channel, ticket.source, ticket.subject, ticket.team) == (Channel.EMAIL, "email", "订单一直没有发货",
                                                                           mailbox.team)
    customer = ticket.customer
    assert customer.email == "zhangwei@example.com" and customer.display_name == "张伟"
    assert customer.customer_profile is not None and customer.groups.filter(name=Role.CUSTOMER).exists()
    assert email.ticket_message is not None and email.ticket_message.from_customer
    assert email.ticket_message.body == "我三天前下的单。\n\n张伟"
    # The original is kept byte for byte; the sender's address is encrypted at rest.
    assert bytes(email.raw).startswith(b"From: ") and email.counterpart == "zhangwei@example.com"
    with connection.cursor() as cursor:
        cursor.execute("SELECT counterpart FROM tickets_emailmessage WHERE id = %s", [email.pk])
        assert "zhangwei" not in cursor.fetchone()[0]


def test_a_mail_from_a_vip_customer_is_routed_by_their_profile(mailbox: Mailbox) -> None:
    # The profile comes with the customer's lookup; routing reads it from there, not again.
    CustomerProfileFactory.create(user__email="vip@example.com", vip_level=CustomerProfile.VipLevel.GOLD)
    CustomerProfileFactory.create(user__email="regular@example.com")

    vip = receive(sender="vip@example.com").ticket
    regular = receive(sender="regular@example.com").ticket

    assert vip is not None and vip.priority == "high"
    assert regular is not None and regular.priority == "normal"


def test_a_known_customer_is_found_by_the_email_blind_index_whatever_the_case(mailbox: Mailbox) -> None:
    known = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__email="Li.Na@Example.com").user
    # A staff account sharing the address does not take the customer's mail.
    UserFactory.create(roles=(Role.AGENT,), email="li.na@example.com")
    users_before = User.objects.count()

    email = receive(sender="li.na@EXAMPLE.com")

    assert email.ticket is not None and email.ticket.customer == known
    assert User.objects.count() == users_before


def test_a_reply_threads_by_in_reply_to_onto_the_ticket_and_reopens_it(mailbox: Mailbox, make_agent: Any) -> None:
    first = receive(message_id="<first@example.com>")
    ticket = first.ticket
    assert ticket is not None
    services.ticket_transition(ticket=ticket, target="solved", actor=make_agent(), reason="done")

    reply = receive(subject="Re: 订单一直没有发货", body="还是没收到", in_reply_to="<first@example.com>",
                    references="<first@example.com>")

    ticket.refresh_from_db()
    assert reply.ticket == ticket and ticket.status == "open"
    assert list(ticket.messages.filter(from_customer=True).values_list("body", flat=True).order_by("pk")) == [
        "我三天前下的单，还没有发货。", "还是没收到"]  # noqa: RUF001
    assert Ticket.objects.count() == 1


def test_a_forward_keeping_references_threads_even_with_a_new_subject(mailbox: Mailbox) -> None:
    first = receive(message_id="<first@example.com>")

    forward = receive(subject="Fwd: 之前的问题", references="<older@example.com> <first@example.com>")

    assert forward.ticket == first.ticket and Ticket.objects.count() == 1


def test_a_new_subject_carrying_the_ticket_number_threads(mailbox: Mailbox) -> None:
    ticket = receive().ticket
    assert ticket is not None

    follow_up = receive(subject=f"补充照片 [{ticket.number}]", body="见附件")

    assert follow_up.ticket == ticket and Ticket.objects.count() == 1


def test_a_mail_without_thread_headers_or_number_opens_a_new_ticket(mailbox: Mailbox) -> None:
    first = receive(subject="第一个问题")
    second = receive(subject="另一个问题 T20261122")  # not a ticket number: too short

    assert first.ticket != second.ticket and Ticket.objects.count() == 2


def test_someone_else_on_the_thread_becomes_an_internal_note_not_the_customers_reply(mailbox: Mailbox) -> None:
    first = receive(message_id="<first@example.com>")

    colleague = receive(sender="colleague@example.com", in_reply_to="<first@example.com>", body="我是他同事")

    note = colleague.ticket_message
    assert colleague.ticket == first.ticket and note is not None
    assert note.kind == TicketMessage.Kind.NOTE and "我是他同事" in note.body


def test_quoted_history_is_cut_from_the_ticket_but_kept_in_the_raw_mail(mailbox: Mailbox) -> None:
    body = "好的，谢谢\n\n在 2026年11月22日 10:00，客服中心 <support@shop.example> 写道：\n> 请提供订单号"  # noqa: RUF001

    email = receive(body=body)

    assert email.ticket_message is not None and email.ticket_message.body == "好的，谢谢"  # noqa: RUF001
    original = BytesParser(policy=policy.default).parsebytes(bytes(email.raw))
    assert "> 请提供订单号" in original.get_body().get_content()  # type: ignore[union-attr]


def test_an_html_only_mail_becomes_plain_text(mailbox: Mailbox) -> None:
    html = ("<html><head><style>p{color:red}</style></head><body><p>包裹<b>破损</b>了</p>"
            "<script>alert(1)</script><p>&lt;script&gt; is text</p></body></html>")

    email = receive(html=html)

    assert email.ticket_message is not None
    assert email.ticket_message.body == "包裹破损了\n\n<script> is text"


def test_a_mail_longer_than_a_ticket_message_is_cut_and_kept_whole_in_the_raw_mail(mailbox: Mailbox) -> None:
    email = receive(body="长" * 30_000)

    assert email.ticket_message is not None and len(email.ticket_message.body) == BODY_MAX - 1000
    original = BytesParser(policy=policy.default).parsebytes(bytes(email.raw))
    assert len(original.get_body().get_content().strip()) == 30_000  # type: ignore[union-attr]


def test_accepted_attachments_are_kept_and_others_are_named(mailbox: Mailbox) -> None:
    email = receive(attachments=(("photo.png", png_bytes(), "image/png"),
                                 ("notes.docx", b"PK\x03\x04\x00\x00binary", "application/octet-stream")))

    assert email.ticket_message is not None
    kept = TicketAttachment.objects.get(message=email.ticket_message)
    assert (kept.filename, kept.content_type) == ("photo.png", "image/png")
    assert "notes.docx" in email.ticket_message.body


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},
    {"X-Autoreply": "yes"},
])
def test_automatic_mail_is_recorded_and_never_becomes_a_ticket(mailbox: Mailbox, headers: dict[str, str]) -> None:
    email = receive(headers=headers)

    assert email.outcome == Outcome.LOOP and email.ticket is None and next(iter(headers)) in email.detail
    assert not Ticket.objects.exists() and not django_mail.outbox


def test_auto_submitted_no_is_a_person_writing(mailbox: Mailbox) -> None:
    assert receive(headers={"Auto-Submitted": "no"}).outcome == Outcome.TICKET


def test_mail_from_our_own_mailbox_address_is_a_loop(mailbox: Mailbox) -> None:
    email = receive(sender=f"Support <{MAILBOX.upper()}>")

    assert email.outcome == Outcome.LOOP and not Ticket.objects.exists()


def test_a_sender_over_the_hourly_limit_is_held(mailbox: Mailbox, settings: Any) -> None:
    settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR = 3
    outcomes = [receive(subject=f"问题 {n}").outcome for n in range(5)]
    other = receive(sender="someone.else@example.com")

    assert outcomes == [Outcome.TICKET] * 3 + [Outcome.HELD] * 2
    assert other.outcome == Outcome.TICKET and Ticket.objects.count() == 4


def test_a_bounce_is_recorded_on_the_mail_it_bounces(mailbox: Mailbox) -> None:
    ticket = receive().ticket
    sent = EmailMessage.objects.create(direction=EmailMessage.Direction.OUTBOUND, outcome=Outcome.SENT,
                                       message_id="reply-1@shop.example", ticket=ticket, raw=b"")

    bounce = email_receive(raw=bounce_for("reply-1@shop.example")).email

    sent.refresh_from_db()
    assert bounce.outcome == Outcome.BOUNCE and bounce.bounce_of == sent and bounce.ticket == ticket
    assert sent.bounced_at is not None and "550 5.1.1" in sent.detail
    assert Ticket.objects.count() == 1 and ticket is not None and ticket.messages.count() == 1


def test_a_duplicate_delivery_is_stored_once(mailbox: Mailbox) -> None:
    message = raw(message_id="<same@example.com>")

    first = email_receive(raw=message)
    again = email_receive(raw=message)

    assert not first.duplicate and again.duplicate and again.email == first.email
    assert EmailMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_a_mail_without_message_id_is_recognised_by_its_content(mailbox: Mailbox) -> None:
    message = raw().replace(b"Message-ID:", b"X-Old-Id:")

    assert not email_receive(raw=message).duplicate
    assert email_receive(raw=message).duplicate and Ticket.objects.count() == 1


@pytest.mark.parametrize("message", [
    b"",
    b"this is not an e-mail at all",
    b"Subject: nobody sent this\r\n\r\nbody",
])
def test_a_mail_without_headers_or_sender_raises_and_stores_nothing(mailbox: Mailbox, message: bytes) -> None:
    users = User.objects.count()

    with pytest.raises(MalformedEmail):
        email_receive(raw=message)

    assert not EmailMessage.objects.exists() and not Ticket.objects.exists() and User.objects.count() == users


@pytest.mark.parametrize("message", [
    b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
    b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nthe boundary never starts",
])
def test_a_multipart_with_broken_boundaries_is_read_as_a_mail_client_reads_it(mailbox: Mailbox, message: bytes) -> None:
    email = email_receive(raw=message).email

    assert email.outcome == Outcome.TICKET and email.ticket_message is not None
    assert email.ticket_message.body.split()[-1] in ("boundary", "starts")


def test_an_oversized_attachment_refuses_the_mail_and_tells_the_sender(
        mailbox: Mailbox, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.TICKETS_ATTACHMENT_MAX_BYTES = 1000
    with django_capture_on_commit_callbacks(execute=True):
        email = receive(message_id="<big@example.com>",
                        attachments=(("big.png", png_bytes((400, 400)), "image/png"),))

    assert email.outcome == Outcome.REFUSED and email.ticket is None and not Ticket.objects.exists()
    (answer,) = django_mail.outbox
    assert answer.to == ["zhangwei@example.com"] and "big.png" in answer.body
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.extra_headers["In-Reply-To"] == "<big@example.com>"


def _store_together_after_parsing(monkeypatch: pytest.MonkeyPatch, deliveries: int = 2) -> None:
    """Each delivery reads its mail, then waits until every one has, so they all go on to store at once."""
    all_parsed = threading.Barrier(deliveries, timeout=10)
    find_mailbox = intake._mailbox_for

    def together(parsed: Any, mailboxes: Any) -> Any:
        all_parsed.wait()
        return find_mailbox(parsed, mailboxes)

    monkeypatch.setattr(intake, "_mailbox_for", together)


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_mail_at_the_same_moment_store_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    Mailbox.objects.create(address=MAILBOX)
    message = raw(message_id="<race@example.com>")
    # Both deliveries go on to store it at once: the second must wait for the first (the Message-ID's lock), then
    # find it stored.
    _store_together_after_parsing(monkeypatch)

    def deliver() -> bool:
        try:
            return email_receive(raw=message).duplicate
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        duplicates = sorted(pool.map(lambda _: deliver(), range(2)))

    assert duplicates == [False, True]
    assert EmailMessage.objects.count() == 1 and Ticket.objects.count() == 1
    assert User.objects.filter(username__startswith="c-").count() == 1  # one new customer, not two


@pytest.mark.django_db(transaction=True)
def test_two_first_mails_of_a_new_sender_at_the_same_moment_make_one_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sender's customer lock is taken with the Message-ID's, in one statement (not inside the customer look-up):
    the second mail still waits for the first one's customer, and finds it."""
    Mailbox.objects.create(address=MAILBOX)
    mails = [raw(sender="新客户 <same.new@example.com>", message_id=f"<first-{n}@example.com>") for n in range(2)]
    _store_together_after_parsing(monkeypatch)

    def deliver(mail: bytes) -> int | None:
        try:
            return email_receive(raw=mail).email.ticket_id
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        tickets = list(pool.map(deliver, mails))

    assert None not in tickets and len(set(tickets)) == 2
    assert User.objects.filter(username__startswith="c-").count() == 1
    assert {ticket.customer.email for ticket in Ticket.objects.all()} == {"same.new@example.com"}
