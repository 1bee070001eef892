"""Mail from machines through intake: bounces of every common format and auto-replies never open tickets."""

from email.utils import make_msgid
from typing import Any

import pytest

from profiles.models import Team
from tests.tickets.corpus import CORPUS
from tests.tickets.mails import MAILBOX, bounce_for, mail, png_bytes, raw
from tickets.channels.email.intake import email_receive
from tickets.models import EmailMessage, Mailbox, Ticket, TicketAttachment, TicketMessage

pytestmark = pytest.mark.django_db
Outcome = EmailMessage.Outcome


@pytest.fixture
def mailbox(team: Team) -> Mailbox:
    return Mailbox.objects.create(address=MAILBOX, team=team)


def sent_to(address: str, *, ticket: Ticket | None = None, message_id: str | None = None) -> EmailMessage:
    return EmailMessage.objects.create(direction=EmailMessage.Direction.OUTBOUND, outcome=Outcome.SENT, raw=b"",
                                       message_id=message_id or make_msgid(domain="shop.example")[1:-1],
                                       counterpart=address, ticket=ticket)


def qmail_bounce(recipient: str) -> bytes:
    """A qmail bounce as servers send it: no DSN part, no Message-ID of ours, only the failed address."""
    return (f"From: MAILER-DAEMON@mx.example.net\r\nTo: {MAILBOX}\r\nSubject: failure notice\r\n"
            f"Message-ID: {make_msgid(domain='mx.example.net')}\r\n\r\n"
            "Hi. This is the qmail-send program at mx.example.net.\r\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
            f"<{recipient}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
            "--- Below this line is a copy of the message.\r\n").encode()


def test_a_bounce_without_a_dsn_part_is_matched_to_our_mail_by_the_failed_address(mailbox: Mailbox) -> None:
    ours = sent_to("li.na@example.com")
    sent_to("someone.else@example.com")

    bounce = email_receive(raw=qmail_bounce("li.na@example.com")).email

    ours.refresh_from_db()
    assert bounce.outcome == Outcome.BOUNCE and bounce.bounce_of == ours and ours.bounced_at is not None
    assert not Ticket.objects.exists()


def test_a_bounce_naming_our_message_id_marks_that_mail_not_a_later_one_to_the_same_address(
        mailbox: Mailbox) -> None:
    named = sent_to("zhangwei@example.com", message_id="reply-3@shop.example")
    later = sent_to("zhangwei@example.com")

    bounce = email_receive(raw=bounce_for("reply-3@shop.example")).email

    named.refresh_from_db()
    later.refresh_from_db()
    assert bounce.bounce_of == named and named.bounced_at is not None and later.bounced_at is None
    # Naming a mail we never sent, it is matched by the failed address: the latest sent there.
    again = email_receive(raw=bounce_for("never-sent@shop.example")).email
    assert again.bounce_of == later


@pytest.mark.parametrize("name", ["flufl-bounce/bounce_02.txt", "flufl-bounce/simple_20.txt",
                                  "flufl-bounce/simple_22.txt", "flufl-bounce/simple_36.txt"])
def test_published_non_dsn_bounces_that_once_became_tickets_are_bounces(mailbox: Mailbox, name: str) -> None:
    email = email_receive(raw=(CORPUS / name).read_bytes()).email

    assert email.outcome == Outcome.BOUNCE and not Ticket.objects.exists()


def test_a_dsn_with_an_empty_from_is_accepted_as_a_bounce(mailbox: Mailbox) -> None:
    ours = sent_to("zhangwei@example.com", message_id="reply-7@shop.example")
    dsn = bounce_for("reply-7@shop.example").replace(
        b"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n", b"From: <>\r\n")

    bounce = email_receive(raw=dsn).email

    ours.refresh_from_db()
    assert bounce.outcome == Outcome.BOUNCE and bounce.bounce_of == ours and ours.bounced_at is not None


def test_a_delayed_notice_is_kept_with_our_mail_without_marking_it_bounced(mailbox: Mailbox) -> None:
    ours = sent_to("zhangwei@example.com", message_id="reply-8@shop.example")
    delayed = bounce_for("reply-8@shop.example").replace(b"Action: failed\r\nStatus: 5.1.1",
                                                         b"Action: delayed\r\nStatus: 4.4.1")

    bounce = email_receive(raw=delayed).email

    ours.refresh_from_db()
    assert bounce.outcome == Outcome.BOUNCE and bounce.bounce_of == ours and ours.bounced_at is None


@pytest.mark.parametrize("subject", ["Out of Office: 订单一直没有发货", "Automatic reply: 订单", "自动回复：订单",  # noqa: RUF001
                                     "Auto: 订单"])
def test_an_auto_reply_to_our_mail_is_a_note_on_its_ticket_never_a_new_ticket(mailbox: Mailbox,
                                                                              subject: str) -> None:
    first = email_receive(raw=raw(message_id="<first@example.com>")).email
    ticket = first.ticket
    assert ticket is not None
    status = ticket.status

    away = email_receive(raw=raw(subject=subject, body="I am away until Monday.",
                                 in_reply_to="<first@example.com>")).email

    ticket.refresh_from_db()
    assert away.outcome == Outcome.LOOP and away.ticket == ticket and Ticket.objects.count() == 1
    assert away.ticket_message is not None and away.ticket_message.kind == TicketMessage.Kind.NOTE
    assert "I am away until Monday." in away.ticket_message.body and ticket.status == status


def test_an_auto_reply_answering_nothing_of_ours_is_only_recorded(mailbox: Mailbox) -> None:
    email = email_receive(raw=raw(subject="Out of Office", headers={"X-Autoreply": "yes"})).email

    assert email.outcome == Outcome.LOOP and email.ticket is None and not Ticket.objects.exists()


def test_an_attachment_only_mail_is_a_ticket_with_its_file(mailbox: Mailbox, settings: Any) -> None:
    message = raw(body="", attachments=(("scan.png", png_bytes(), "image/png"),))

    email = email_receive(raw=message).email

    assert email.outcome == Outcome.TICKET and email.ticket_message is not None
    assert TicketAttachment.objects.get(message=email.ticket_message).filename == "scan.png"


def test_calendar_tnef_and_forwarded_parts_are_files_on_the_ticket(mailbox: Mailbox) -> None:
    outer = mail(body="见附件", attachments=(("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),
                                          ("winmail.dat", b"\x78\x9f\x3e\x22\x00\x00", "application/ms-tnef")))
    outer.add_attachment(mail(subject="原邮件", body="原来的内容"))

    email = email_receive(raw=outer.as_bytes()).email

    assert email.ticket_message is not None
    names = set(TicketAttachment.objects.filter(message=email.ticket_message).values_list("filename", flat=True))
    assert names == {"invite.ics", "winmail.dat", "原邮件.eml"}
    assert "原来的内容" in email.ticket_message.body and "Attachments not kept" not in email.ticket_message.body
