"""Outbound e-mail: the desk's public replies on e-mail tickets go out with threading headers."""

# ruff: noqa: RUF001  (Chinese replies are written with full-width punctuation)

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile

from profiles.models import Team, User
from tests.broker import broker_down
from tests.clients import logged_in
from tests.factories import TeamFactory
from tests.tickets.mails import MAILBOX, bounce_for, png_bytes, raw
from tests.tickets.mailservers import SmtpInbox, free_port
from tickets import services
from tickets.channels.email.intake import email_receive
from tickets.models import EmailMessage, Mailbox, Notification, Ticket, TicketMessage
from tickets.services.delivery import MAX_ATTEMPTS, send_due
from tickets.tasks import send_due_outbound, send_email

pytestmark = pytest.mark.django_db
Outcome = EmailMessage.Outcome


@pytest.fixture
def email_ticket(team: Any) -> Ticket:
    Mailbox.objects.create(address=MAILBOX, team=team)
    ticket = email_receive(raw=raw(message_id="<first@example.com>", subject="订单一直没有发货")).email.ticket
    assert ticket is not None
    return ticket


def reply(ticket: Ticket, author: User, capture: Any, body: str = "您好，已经为您催促仓库发货。", **kwargs: Any) -> Any:
    with capture(execute=True):
        return services.ticket_reply(ticket=ticket, author=author, body=body, **kwargs)


def test_an_agent_reply_is_mailed_to_the_customer_with_threading_headers(
        email_ticket: Ticket, make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any) -> None:
    message = reply(email_ticket, make_agent(), django_capture_on_commit_callbacks)

    (sent,) = django_mail.outbox
    record = EmailMessage.objects.get(ticket_message=message)
    assert record.outcome == Outcome.SENT and record.sent_at is not None
    assert sent.to == ["zhangwei@example.com"] and MAILBOX in sent.from_email
    assert sent.subject == f"Re: 订单一直没有发货 [{email_ticket.number}]"
    assert sent.body == "您好，已经为您催促仓库发货。"
    headers = sent.extra_headers
    assert headers["Message-ID"] == f"<{record.message_id}>" and record.message_id.endswith("@shop.example")
    assert headers["In-Reply-To"] == "<first@example.com>" and headers["References"] == "<first@example.com>"
    assert "Auto-Submitted" not in headers
    assert f"<{record.message_id}>".encode() in bytes(record.raw)


def test_the_customers_answer_to_our_reply_threads_by_our_message_id(
        email_ticket: Ticket, make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any) -> None:
    message = reply(email_ticket, make_agent(), django_capture_on_commit_callbacks)
    ours = EmailMessage.objects.get(ticket_message=message).message_id

    answer = email_receive(raw=raw(subject="Re: 别的主题", in_reply_to=f"<{ours}>", body="收到，谢谢")).email

    assert answer.ticket == email_ticket and Ticket.objects.count() == 1
    # The next reply's References carry the whole thread, oldest first.
    reply(email_ticket, message.author, django_capture_on_commit_callbacks, body="不客气")
    assert django_mail.outbox[-1].extra_headers["References"] == f"<first@example.com> <{ours}> <{answer.message_id}>"
    assert django_mail.outbox[-1].extra_headers["In-Reply-To"] == f"<{answer.message_id}>"


def test_notes_customer_replies_and_other_channels_send_nothing(
        email_ticket: Ticket, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket],
        django_capture_on_commit_callbacks: Any) -> None:
    agent = make_agent()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_add_note(ticket=email_ticket, author=agent, body="内部备注")
    reply(email_ticket, email_ticket.customer, django_capture_on_commit_callbacks, body="客户自己补充")
    reply(make_ticket(), agent, django_capture_on_commit_callbacks)  # a web ticket

    assert django_mail.outbox == []
    assert not EmailMessage.objects.filter(direction=EmailMessage.Direction.OUTBOUND).exists()


def test_sending_twice_mails_once(email_ticket: Ticket, make_agent: Callable[..., User],
                                  django_capture_on_commit_callbacks: Any) -> None:
    message = reply(email_ticket, make_agent(), django_capture_on_commit_callbacks)

    send_email.delay(EmailMessage.objects.get(ticket_message=message).pk)

    assert len(django_mail.outbox) == 1


def test_an_unreachable_smtp_server_is_retried_by_the_sweep_with_backoff_then_marked_failed(
        email_ticket: Ticket, make_agent: Callable[..., User], settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2

    message = reply(email_ticket, make_agent(), django_capture_on_commit_callbacks)

    record = EmailMessage.objects.get(ticket_message=message)
    assert record.outcome == Outcome.QUEUED and record.attempts == 1 and "ConnectionRefusedError" in record.detail
    assert record.next_attempt_at is not None
    # Not due yet: the sweep leaves it alone.
    assert send_due(now=record.next_attempt_at - timedelta(seconds=1)) == 0
    for _attempt in range(MAX_ATTEMPTS - 1):
        record.refresh_from_db()
        assert record.outcome == Outcome.QUEUED and record.next_attempt_at is not None
        assert send_due(now=record.next_attempt_at) == 1

    record.refresh_from_db()
    assert record.outcome == Outcome.FAILED and record.attempts == MAX_ATTEMPTS and record.next_attempt_at is None
    # The desk is told once, in an internal note, to reach the customer another way.
    (note,) = email_ticket.messages.filter(kind=TicketMessage.Kind.NOTE)
    assert "ConnectionRefusedError" in note.body and note.author == message.author


def test_a_reply_the_broker_refused_stays_queued_and_the_sweep_sends_it_once(
        email_ticket: Ticket, make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any,
) -> None:
    with broker_down():
        message = reply(email_ticket, make_agent(), django_capture_on_commit_callbacks)

    record = EmailMessage.objects.get(ticket_message=message)
    assert record.outcome == Outcome.QUEUED and record.attempts == 0 and django_mail.outbox == []

    assert send_due_outbound.delay().get() == 1
    assert send_due_outbound.delay().get() == 0
    (sent,) = django_mail.outbox
    record.refresh_from_db()
    assert record.outcome == Outcome.SENT and record.attempts == 1
    assert sent.extra_headers["Message-ID"] == f"<{record.message_id}>"


def test_a_reply_with_an_attachment_arrives_at_a_real_smtp_server(
        email_ticket: Ticket, make_agent: Callable[..., User], smtp_server: SmtpInbox,
        django_capture_on_commit_callbacks: Any) -> None:
    upload = SimpleUploadedFile("label.png", png_bytes())
    message = reply(email_ticket, make_agent(), django_capture_on_commit_callbacks, uploads=[upload])

    (received,) = smtp_server.wait_for(1)
    record = EmailMessage.objects.get(ticket_message=message)
    assert smtp_server.envelopes == [(MAILBOX, ["zhangwei@example.com"])]
    assert received["Message-ID"] == f"<{record.message_id}>"
    assert received["In-Reply-To"] == "<first@example.com>"
    # Django folds an encoded subject onto a continuation line, which reads back with a leading space.
    assert received["Subject"].strip() == f"Re: 订单一直没有发货 [{email_ticket.number}]"
    assert received.get_body(("plain",)).get_content().strip() == "您好，已经为您催促仓库发货。"  # type: ignore[union-attr]
    (attachment,) = received.iter_attachments()
    assert attachment.get_filename() == "label.png" and attachment.get_content() == png_bytes()


def test_the_desk_thread_shows_how_each_message_travelled_and_a_bounce(
        email_ticket: Ticket, make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any,
        django_assert_max_num_queries: Any) -> None:
    agent = make_agent()
    message = reply(email_ticket, agent, django_capture_on_commit_callbacks)
    client = logged_in(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_max_num_queries(40) as before:
        page = client.get(f"/desk/tickets/{email_ticket.pk}/").content.decode()
    assert "By e-mail" in page and "Sent" in page and "E-mail bounced" not in page

    email_receive(raw=bounce_for(EmailMessage.objects.get(ticket_message=message).message_id))
    reply(email_ticket, agent, django_capture_on_commit_callbacks, body="第二条回复")

    # One more e-mail and a bounce cost no extra query.
    with django_assert_max_num_queries(len(before.captured_queries)):
        page = client.get(f"/desk/tickets/{email_ticket.pk}/").content.decode()
    assert "E-mail bounced" in page and "550 5.1.1" in page


def test_a_bounced_reply_tells_the_assignee_in_a_note_and_a_notification(
        email_ticket: Ticket, make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any) -> None:
    agent = make_agent()
    Ticket.objects.filter(pk=email_ticket.pk).update(assignee=agent)
    message = reply(email_ticket, agent, django_capture_on_commit_callbacks, body="您的退款已经原路退回，请注意查收。")
    sent = EmailMessage.objects.get(ticket_message=message)

    bounce = bounce_for(sent.message_id)
    with django_capture_on_commit_callbacks(execute=True):  # the notification is an outbox message
        email_receive(raw=bounce)

    note = email_ticket.messages.get(kind=TicketMessage.Kind.NOTE)
    assert "550 5.1.1" in note.body and "您的退款已经原路退回" in note.body and note.author == agent
    (notice,) = Notification.objects.all()
    assert (notice.recipient, notice.kind, notice.ticket) == (agent, Notification.Kind.BOUNCE, email_ticket)
    # The same bounce delivered again is stored once and tells nobody twice.
    assert email_receive(raw=bounce).duplicate
    assert Notification.objects.count() == 1 and email_ticket.messages.filter(kind="note").count() == 1


def test_a_bounce_on_an_unassigned_ticket_notifies_its_team(
        email_ticket: Ticket, make_agent: Callable[..., User], team: Team,
        django_capture_on_commit_callbacks: Any) -> None:
    Ticket.objects.filter(pk=email_ticket.pk).update(assignee=None)
    first, second = make_agent(), make_agent(online=False)
    make_agent(teams=[TeamFactory.create()])
    message = reply(email_ticket, first, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):  # the notification is an outbox message
        email_receive(raw=bounce_for(EmailMessage.objects.get(ticket_message=message).message_id))

    assert set(Notification.objects.values_list("recipient", flat=True)) == {first.pk, second.pk}
    assert email_ticket.messages.filter(kind=TicketMessage.Kind.NOTE).count() == 1
