"""One delivery mechanism: e-mail and the other channels' replies are leased, retried and swept alike."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail as django_mail

from core.sms import FakeSms, sms
from profiles.models import Team, User
from tests.broker import broker_down
from tests.factories import CustomerProfileFactory
from tests.tickets.mails import MAILBOX, png_bytes, raw
from tests.tickets.mailservers import free_port
from tickets import services
from tickets.channels.email.intake import email_receive
from tickets.models import Channel, EmailMessage, Mailbox, OutboundMessage, Ticket, TicketMessage
from tickets.services.delivery import send_due
from tickets.tasks import send_due_outbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_ticket(team: Team) -> Ticket:
    Mailbox.objects.create(address=MAILBOX, team=team)
    ticket = email_receive(raw=raw(message_id="<first@example.com>")).email.ticket
    assert ticket is not None
    return ticket


@pytest.fixture
def fake_sms() -> FakeSms:
    sender = sms()
    assert isinstance(sender, FakeSms)
    sender.sent.clear()
    return sender


def test_email_and_sms_replies_the_broker_never_took_go_out_in_one_sweep(
        email_ticket: Ticket, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
        fake_sms: FakeSms, celery_eager: None, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any) -> None:
    texter = CustomerProfileFactory.create(user__phone="13800138000").user
    sms_ticket = make_ticket(customer=texter, channel=Channel.SMS)
    agent = make_agent()
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        by_mail = services.ticket_reply(ticket=email_ticket, author=agent, body="已为您催促仓库发货")
        by_sms = services.ticket_reply(ticket=sms_ticket, author=agent, body="已为您加急处理")
    assert django_mail.outbox == [] and fake_sms.sent == []

    assert send_due_outbound.delay().get() == 2
    assert send_due_outbound.delay().get() == 0

    (mailed,) = django_mail.outbox
    assert mailed.body == by_mail.body and mailed.extra_headers["In-Reply-To"] == "<first@example.com>"
    ((phone, text),) = fake_sms.sent
    assert phone == "13800138000" and by_sms.body in text
    assert EmailMessage.objects.get(ticket_message=by_mail).outcome == EmailMessage.Outcome.SENT
    assert OutboundMessage.objects.get(message=by_sms).status == OutboundMessage.Status.SENT


def test_a_customer_without_an_address_fails_at_once_and_the_desk_is_told(
        email_ticket: Ticket, make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any) -> None:
    customer = email_ticket.customer
    customer.email = ""
    customer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(ticket=email_ticket, author=make_agent(), body="您好")

    record = EmailMessage.objects.get(ticket_message=reply)
    assert (record.outcome, record.attempts, record.next_attempt_at) == (EmailMessage.Outcome.FAILED, 1, None)
    assert send_due() == 0 and django_mail.outbox == []
    (note,) = email_ticket.messages.filter(kind=TicketMessage.Kind.NOTE)
    assert record.detail and record.detail in note.body and note.author == reply.author


def test_a_refusal_the_smtp_server_missed_is_retried_with_its_own_text(
        settings: Any, team: Team, django_capture_on_commit_callbacks: Any) -> None:
    Mailbox.objects.create(address=MAILBOX, team=team)
    settings.TICKETS_ATTACHMENT_MAX_BYTES = 1000
    mail_backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    with django_capture_on_commit_callbacks(execute=True):
        email_receive(raw=raw(message_id="<big@example.com>", attachments=(("big.png", png_bytes((400, 400)),
                                                                            "image/png"),)))
    refusal = EmailMessage.objects.get(direction=EmailMessage.Direction.OUTBOUND)
    assert (refusal.outcome, refusal.attempts) == (EmailMessage.Outcome.QUEUED, 1)
    assert refusal.next_attempt_at is not None

    settings.EMAIL_BACKEND = mail_backend
    assert send_due(now=refusal.next_attempt_at) == 1

    (answer,) = django_mail.outbox
    assert "big.png" in answer.body and "ConnectionRefusedError" not in answer.body
    refusal.refresh_from_db()
    assert (refusal.outcome, refusal.attempts) == (EmailMessage.Outcome.SENT, 2)
