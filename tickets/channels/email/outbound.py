"""Outbound mail: the desk's public replies on e-mail tickets, and automatic refusals, through Django's
e-mail backend (`EMAIL_URL`) with the headers that keep the customer's mail client threading.

A reply becomes a queued `EmailMessage` row when the `ticket.replied` event is heard (after the
reply's commit), and a Celery task makes one attempt at it. The row is an outbox of the one delivery
skeleton (`tickets.services.delivery`): a failed attempt (or a task the broker never took) leaves it
queued with a due time for the beat sweep that retries every channel's replies with backoff. The row's
Message-ID is fixed when it is queued, so a mail sent twice re-sends the same Message-ID, which mail
clients show once.
"""

from datetime import datetime
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage as OutgoingMail
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core import events
from core.queueing import enqueue
from tickets.models import Channel, EmailMessage, Mailbox, Ticket, TicketMessage
from tickets.services import delivery

Outcome = EmailMessage.Outcome
# Enough of the thread for clients to place the reply; RFC 5322 lets References grow without bound.
MAX_REFERENCES = 10


def _from_address(mailbox: Mailbox | None) -> str:
    name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name, mailbox.address)) if mailbox else formataddr((name, default_address))


def _new_message_id(mailbox: Mailbox | None) -> str:
    domain = parseaddr(_from_address(mailbox))[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain).strip("<>")


def _queue(email: EmailMessage) -> None:
    enqueue("tickets.tasks.send_email", email_id=email.pk)


def queue_reply(*, message: TicketMessage) -> EmailMessage | None:
    """Queue the desk's public reply to the customer's address; once per ticket message."""
    ticket = message.ticket
    if ticket.channel != Channel.EMAIL or message.is_note or message.from_customer:
        return None
    latest_in = ticket.emails.filter(direction=EmailMessage.Direction.INBOUND).select_related("mailbox") \
        .order_by("-created_at", "-pk").first()
    mailbox = latest_in.mailbox if latest_in else None
    try:
        with transaction.atomic():
            email = EmailMessage.objects.create(
                direction=EmailMessage.Direction.OUTBOUND, outcome=Outcome.QUEUED,
                message_id=_new_message_id(mailbox), mailbox=mailbox, ticket=ticket, ticket_message=message,
                counterpart=ticket.customer.email, subject=_subject(ticket),
                in_reply_to=latest_in.message_id if latest_in else "", raw=b"",
            )
    except IntegrityError:
        return None  # the event was heard twice: this reply is already queued
    _queue(email)
    return email


def queue_refusal(*, refused: EmailMessage, mailbox: Mailbox | None, limit_bytes: int) -> EmailMessage:
    """Tell the sender their mail was not accepted (attachments over the limit); marked as automatic."""
    email = EmailMessage.objects.create(
        direction=EmailMessage.Direction.OUTBOUND, outcome=Outcome.QUEUED, message_id=_new_message_id(mailbox),
        mailbox=mailbox, counterpart=refused.counterpart, subject=f"Re: {refused.subject}"[:300],
        in_reply_to=refused.message_id, detail=_(
            "Your e-mail was not accepted: attachments may be at most %(limit)s MB each (%(names)s). "
            "Please send smaller files or share a link.") % {
                "limit": round(limit_bytes / 1024 / 1024, 1), "names": refused.detail},
        raw=b"",
    )
    _queue(email)
    return email


def _subject(ticket: Ticket) -> str:
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    return f"{subject} [{ticket.number}]"[:300]


def _references(email: EmailMessage) -> list[str]:
    if email.ticket_id is None:
        return [email.in_reply_to] if email.in_reply_to else []
    ids = list(EmailMessage.objects.filter(ticket_id=email.ticket_id, created_at__lte=email.created_at)
               .exclude(pk=email.pk).order_by("-created_at", "-pk").values_list("message_id", flat=True)
               [:MAX_REFERENCES])
    return list(reversed(ids))


def _build(email: EmailMessage) -> OutgoingMail:
    headers = {"Message-ID": f"<{email.message_id}>"}
    if email.in_reply_to:
        headers["In-Reply-To"] = f"<{email.in_reply_to}>"
    references = _references(email)
    if references:
        headers["References"] = " ".join(f"<{ref}>" for ref in references)
    if email.ticket_message_id is None:
        # RFC 3834: an automatic answer says so, so the other side's autoresponder stays quiet.
        headers["Auto-Submitted"] = "auto-replied"
        body = email.detail
    else:
        body = email.ticket_message.body  # type: ignore[union-attr]
    mail = OutgoingMail(subject=email.subject, body=body, from_email=_from_address(email.mailbox),
                        to=[email.counterpart], headers=headers)
    if email.ticket_message_id is not None:
        for attachment in email.ticket_message.attachments.order_by("pk"):  # type: ignore[union-attr]
            with attachment.file.open("rb") as handle:
                mail.attach(attachment.filename, handle.read(), attachment.content_type)
    return mail


def _pending() -> QuerySet[EmailMessage]:
    return EmailMessage.objects.filter(direction=EmailMessage.Direction.OUTBOUND, outcome=Outcome.QUEUED) \
        .select_related("mailbox", "ticket_message__ticket", "ticket_message__author")


def _send(email: EmailMessage, now: datetime) -> list[str]:
    if not email.counterpart:
        raise delivery.Undeliverable(_("The customer has no e-mail address."))
    mail = _build(email)
    with get_connection() as connection:
        connection.send_messages([mail])
    email.outcome, email.sent_at, email.raw, email.detail = Outcome.SENT, now, mail.message().as_bytes(), ""
    return ["outcome", "sent_at", "raw", "detail"]


def _failed(email: EmailMessage, error: str, final: bool) -> list[str]:
    # A refusal's detail is the text it sends (see _build): a retry must not mail the error instead.
    if email.ticket_message_id is not None:
        email.detail = error
    if final:
        email.outcome = Outcome.FAILED
    return ["outcome", "detail"]


OUTBOX = delivery.Outbox[EmailMessage](
    name="e-mail", pending=_pending, send=_send, failed=_failed, reply=lambda email: email.ticket_message)


def email_send(*, email_id: int, now: datetime | None = None) -> EmailMessage | None:
    """One attempt at one queued mail; None when it is not due (sent, failed, leased or waiting to retry)."""
    return delivery.deliver(OUTBOX, email_id, now=now)


def _on_replied(published: list[events.DomainEvent]) -> None:
    """The desk's public replies on e-mail tickets, read in one query whatever the number of events."""
    message_ids = [event.payload["message_id"] for event in published if not event.payload.get("from_customer")]
    if not message_ids:
        return
    messages = TicketMessage.objects.select_related("ticket__customer").filter(
        pk__in=message_ids, ticket__channel=Channel.EMAIL).order_by("pk")
    for message in messages:
        queue_reply(message=message)


def subscribe() -> None:
    events.subscribe_batch("ticket.replied", _on_replied)
