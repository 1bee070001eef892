"""Side conversations: the desk writes about a ticket to a merchant, a courier or another team by e-mail, and
their answers come back beside the ticket (never to the customer: no ticket message, no customer event).

Each mail carries its own Message-ID, In-Reply-To and References, and a Reply-To with the conversation's token
(`service+side-<token>@example.com`), so a reply is threaded back by its headers or, when a mail client
dropped them, by the address it was sent to. Sending goes through the outbox (`tickets.tasks.send_side_message`),
after the commit; the task is safe to run twice (a sent message is not sent again).
"""

import re
import secrets
from datetime import datetime
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
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
from tickets.services.common import BODY_MAX, clean_text

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


def _add_outbound(conversation: SideConversation, author: User, body: str) -> SideMessage:
    last = conversation.messages.order_by("-pk").first()
    message = SideMessage.objects.create(
        conversation=conversation, direction=SideMessage.Direction.OUTBOUND, author=author, body=body,
        message_id=make_msgid(domain=_our_address()[2]).strip("<>"), in_reply_to=last.message_id if last else "")
    enqueue("tickets.tasks.send_side_message", side_message_id=message.pk)
    return message


def _check(ticket: Ticket, actor: User) -> None:
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can write side conversations."))
    if ticket.merged_into_id is not None:
        raise ValidationError({"body": _("This ticket was merged; write on the ticket it was merged into.")})


@transaction.atomic
def side_conversation_start(*, ticket: Ticket, actor: User, counterpart: str, subject: str, body: str
                            ) -> SideConversation:
    """A new thread from the ticket to `counterpart`, with its first mail queued."""
    _check(ticket, actor)
    counterpart = (counterpart or "").strip()
    try:
        validate_email(counterpart)
    except ValidationError:
        raise ValidationError({"counterpart": _("Enter a valid e-mail address.")}) from None
    conversation = SideConversation.objects.create(
        ticket=ticket, counterpart=counterpart, subject=clean_text(subject, "subject", SUBJECT_MAX),
        token=secrets.token_hex(12), created_by=actor)
    _add_outbound(conversation, actor, clean_text(body, "body", BODY_MAX))
    return conversation


@transaction.atomic
def side_conversation_reply(*, conversation: SideConversation, actor: User, body: str) -> SideMessage:
    _check(conversation.ticket, actor)
    return _add_outbound(conversation, actor, clean_text(body, "body", BODY_MAX))


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
    return OutgoingMail(subject=f"{conversation.subject} [{ticket.number}]", body=message.body,
                        from_email=settings.DEFAULT_FROM_EMAIL or formataddr((name, "")), to=[conversation.counterpart],
                        headers=headers)


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


def _conversation_for(parsed: ParsedEmail) -> SideConversation | None:
    """By the ids the mail answers, nearest first; else by the token in the address it was sent to."""
    if parsed.thread_ids:
        known = {message.message_id: message.conversation for message in SideMessage.objects.filter(
            message_id__in=parsed.thread_ids).select_related("conversation")}
        for message_id in parsed.thread_ids:
            if message_id in known:
                return known[message_id]
    for address in parsed.recipients:
        match = _TOKEN_ADDRESS.search(address)
        if match:
            return SideConversation.objects.filter(token=match.group(1).lower()).first()
    return None


def side_mail_receive(*, parsed: ParsedEmail) -> SideMessage | None:
    """Mail intake's first question (tickets.channels.email.intake): is this an answer on a side conversation?
    Then it is stored there (the reply without the quoted thread) and never reaches the ticket or its customer."""
    conversation = _conversation_for(parsed)
    if conversation is None:
        return None
    body = (parsed.reply_text or parsed.text or _("(empty message)"))[:BODY_MAX]
    return SideMessage.objects.create(
        conversation=conversation, direction=SideMessage.Direction.INBOUND, sender=parsed.sender[:254], body=body,
        message_id=parsed.message_id, in_reply_to=parsed.in_reply_to[:500])
