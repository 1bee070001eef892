"""Side conversations: the desk writes about a ticket to a merchant, a courier or another team by e-mail, and
their answers come back beside the ticket (never to the customer: no ticket message, no customer event).

Each mail carries its own Message-ID, In-Reply-To and References, and a Reply-To with the conversation's token
(`service+side-<token>@example.com`), so a reply is threaded back by its headers or, when a mail client
dropped them, by the address it was sent to. Sending goes through the outbox (`tickets.tasks.send_side_message`),
after the commit; the task is safe to run twice (a sent message is not sent again). Files go both ways, checked
like a ticket reply's (services.attachments). A thread is open or closed; an answer from the counterpart (or the
desk writing again) opens it, and an answer is pushed live to the desk pages that show the ticket.
"""

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage as OutgoingMail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.queueing import enqueue
from profiles.models import User
from tickets.channels.email.parsing import ParsedEmail
from tickets.errors import NotAllowed
from tickets.models import SideConversation, SideMessage, Ticket
from tickets.selectors import is_desk
from tickets.services import attachments as attachment_service
from tickets.services.common import BODY_MAX, clean_text, publish

SUBJECT_MAX = 200
# Enough of the thread for mail clients to place a message; RFC 5322 lets References grow without bound.
MAX_REFERENCES = 10
# Lower-case hex: intake compares addresses lower-cased, and some servers fold the local part's case.
_TOKEN_ADDRESS = re.compile(r"\+side-([0-9a-f]{24})@", re.IGNORECASE)


def _our_address() -> tuple[str, str, str]:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    local, _at, domain = address.rpartition("@")
    return name, local or "service", domain or "localhost"


def reply_address(conversation: SideConversation) -> str:
    name, local, domain = _our_address()
    return formataddr((name, f"{local}+side-{conversation.token}@{domain}"))


def _add_outbound(conversation: SideConversation, author: User, body: str, uploads: Sequence[UploadedFile]
                  ) -> SideMessage:
    last = conversation.messages.order_by("-pk").first()
    message = SideMessage.objects.create(
        conversation=conversation, direction=SideMessage.Direction.OUTBOUND, author=author, body=body,
        message_id=make_msgid(domain=_our_address()[2]).strip("<>"), in_reply_to=last.message_id if last else "")
    attachment_service.attach(message=message, uploads=uploads)
    _moved_on(conversation, actor=author, reason="desk wrote")
    enqueue("tickets.tasks.send_side_message", side_message_id=message.pk)
    return message


def _moved_on(conversation: SideConversation, *, actor: User | None, reason: str) -> None:
    """A new message: a closed thread opens again (a history row names who and why); else only its time moves."""
    if conversation.status == SideConversation.Status.CLOSED:
        _set_status(conversation, SideConversation.Status.OPEN, actor=actor, reason=reason)
    else:
        SideConversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())


def _set_status(conversation: SideConversation, status: str, *, actor: User | None, reason: str) -> None:
    closing = status == SideConversation.Status.CLOSED
    conversation.status = status
    conversation.closed_by = actor if closing else None
    conversation.closed_at = timezone.now() if closing else None
    conversation._history_user = actor  # type: ignore[attr-defined]  # simple-history reads these two
    conversation._change_reason = reason  # type: ignore[attr-defined]
    conversation.save(update_fields=["status", "closed_by", "closed_at", "updated_at"])


def _check(ticket: Ticket, actor: User) -> None:
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can write side conversations."))
    if ticket.merged_into_id is not None:
        raise ValidationError({"body": _("This ticket was merged; write on the ticket it was merged into.")})


@transaction.atomic
def side_conversation_start(*, ticket: Ticket, actor: User, counterpart: str, subject: str, body: str,
                            uploads: Sequence[UploadedFile] = ()) -> SideConversation:
    """A new thread from the ticket to `counterpart`, with its first mail (and its files) queued."""
    _check(ticket, actor)
    counterpart = (counterpart or "").strip()
    try:
        validate_email(counterpart)
    except ValidationError:
        raise ValidationError({"counterpart": _("Enter a valid e-mail address.")}) from None
    conversation = SideConversation.objects.create(
        ticket=ticket, counterpart=counterpart, subject=clean_text(subject, "subject", SUBJECT_MAX),
        token=secrets.token_hex(12), created_by=actor)
    _add_outbound(conversation, actor, clean_text(body, "body", BODY_MAX), uploads)
    return conversation


@transaction.atomic
def side_conversation_reply(*, conversation: SideConversation, actor: User, body: str,
                            uploads: Sequence[UploadedFile] = ()) -> SideMessage:
    """The desk writes again on a thread (a closed one opens again)."""
    _check(conversation.ticket, actor)
    locked = _locked(conversation)
    return _add_outbound(locked, actor, clean_text(body, "body", BODY_MAX), uploads)


def _locked(conversation: SideConversation) -> SideConversation:
    locked = SideConversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
    locked.ticket = conversation.ticket
    return locked


def side_conversation_close(*, conversation: SideConversation, actor: User) -> bool:
    """Settled: the thread folds away in the panel. False when it was closed already (a second click)."""
    return _move(conversation, actor, SideConversation.Status.CLOSED, reason="closed")


def side_conversation_reopen(*, conversation: SideConversation, actor: User) -> bool:
    """Open again by hand. False when it was open already."""
    return _move(conversation, actor, SideConversation.Status.OPEN, reason="reopened")


@transaction.atomic
def _move(conversation: SideConversation, actor: User, to: str, *, reason: str) -> bool:
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can write side conversations."))
    locked = _locked(conversation)
    if locked.status == to:
        return False
    _set_status(locked, to, actor=actor, reason=reason)
    return True


def _build(message: SideMessage) -> OutgoingMail:
    conversation = message.conversation
    ticket = conversation.ticket
    headers = {"Message-ID": f"<{message.message_id}>", "Reply-To": reply_address(conversation)}
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}>"
    earlier = list(conversation.messages.filter(pk__lt=message.pk).order_by("-pk")
                   .values_list("message_id", flat=True)[:MAX_REFERENCES])
    if earlier:
        headers["References"] = " ".join(f"<{ref}>" for ref in reversed(earlier))
    name, _local, _domain = _our_address()
    mail = OutgoingMail(subject=f"{conversation.subject} [{ticket.number}]", body=message.body,
                        from_email=settings.DEFAULT_FROM_EMAIL or formataddr((name, "")), to=[conversation.counterpart],
                        headers=headers)
    for attachment in message.attachments.order_by("pk"):
        with attachment.file.open("rb") as stored:
            mail.attach(attachment.filename, stored.read(), attachment.content_type)
    return mail


def side_message_send(*, side_message_id: int, now: datetime | None = None) -> bool:
    """The outbox task's half: send one queued mail once. False when it was sent already (a redelivery)."""
    with transaction.atomic():
        message = SideMessage.objects.select_for_update(of=("self",)).select_related(
            "conversation__ticket").filter(pk=side_message_id, direction=SideMessage.Direction.OUTBOUND,
                                           sent_at__isnull=True).first()
        if message is None:
            return False
        # A failure raises: the outbox retries the task with its backoff, and the row stays unsent.
        _build(message).send()
        message.sent_at = now or timezone.now()
        message.save(update_fields=["sent_at"])
    return True


def side_conversation_for_mail(parsed: ParsedEmail) -> SideConversation | None:
    """Mail intake's first question (tickets.channels.email.intake): is this an answer on a side conversation?
    By the ids the mail answers, nearest first; else by the token in the address it was sent to."""
    if parsed.thread_ids:
        known = {message.message_id: message.conversation for message in SideMessage.objects.filter(
            message_id__in=parsed.thread_ids).select_related("conversation__ticket")}
        for message_id in parsed.thread_ids:
            if message_id in known:
                return known[message_id]
    for address in parsed.recipients:
        match = _TOKEN_ADDRESS.search(address)
        if match:
            return SideConversation.objects.select_related("ticket").filter(token=match.group(1).lower()).first()
    return None


def side_mail_receive(*, conversation: SideConversation, parsed: ParsedEmail, uploads: Sequence[UploadedFile],
                      skipped: Sequence[str]) -> SideMessage:
    """The answer stored on its thread (without the quoted thread, with the files the desk accepts; `skipped`
    names the ones it does not), never on the ticket or to its customer. A closed thread opens again, and the
    desk pages showing the ticket hear of it once, after the commit (tickets.realtime)."""
    body = parsed.reply_text or parsed.text or _("(empty message)")
    if skipped:
        body += "\n\n" + _("Attachments not kept (type or size not accepted): %(names)s") % {
            "names": ", ".join(skipped)}
    message = SideMessage.objects.create(
        conversation=conversation, direction=SideMessage.Direction.INBOUND, sender=parsed.sender[:254],
        body=body[:BODY_MAX], message_id=parsed.message_id, in_reply_to=parsed.in_reply_to[:500])
    attachment_service.attach(message=message, uploads=uploads)
    _moved_on(_locked(conversation), actor=None, reason="counterpart answered")
    publish("ticket.side_replied", conversation.ticket, side_conversation_id=conversation.pk)
    return message
