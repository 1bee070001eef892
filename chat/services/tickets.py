"""Where chat meets tickets: a message left while nobody can chat becomes a ticket, and an agent turns a
conversation into a ticket (or adds it to one) with its transcript. Tickets are written only through the
tickets services, so routing, SLA, history and events stay theirs."""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chat import selectors
from chat.errors import ChatError
from chat.models import ChatMessage, Conversation
from chat.services.conversations import _lock
from core.masking import mask_email, mask_phone
from profiles.models import User
from tickets import services as ticket_services
from tickets.models import Category, Channel, Ticket
from tickets.services.common import BODY_MAX

LEAVE_MESSAGE_SOURCE = "leave_message"
CHAT_SOURCE = "chat"
SUMMARY_CHARS = 60
# Customers read promised times on the desk's clock, whatever their browser's zone.
BEIJING = ZoneInfo("Asia/Shanghai")


class Contact:
    """How the customer wants the answer; phone and e-mail are the ones on file (never typed into a ticket)."""

    TICKET = "ticket"
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class LeftMessage:
    ticket: Ticket
    reply: str


@dataclass(frozen=True)
class TicketLink:
    ticket: Ticket
    # False when the conversation already had its ticket: the repeated request wrote nothing.
    linked_now: bool
    created: bool


def contact_label(customer: User, contact: str) -> str:
    """The contact choice as the desk reads it: masked, since ticket text is not encrypted like the profile."""
    if contact == Contact.TICKET:
        return _("a reply on the ticket in the help center")
    if contact == Contact.PHONE and customer.phone:
        return _("a phone call to %(phone)s") % {"phone": mask_phone(customer.phone)}
    if contact == Contact.EMAIL and customer.email:
        return _("an e-mail to %(email)s") % {"email": mask_email(customer.email)}
    raise ValidationError({"contact": _("Choose how we should reach you.")})


def auto_reply(ticket: Ticket) -> str:
    """The automatic answer to a left message, naming when an agent will reply (Beijing time)."""
    respond_by = selectors.expected_response_at(ticket)
    if respond_by is None:
        return _("Thank you, we have your message (ticket %(number)s). An agent will answer as soon as we are "
                 "back.") % {"number": ticket.number}
    local = timezone.localtime(respond_by, BEIJING)
    return _("Thank you, we have your message (ticket %(number)s). An agent will answer by %(time)s "
             "(Beijing time).") % {"number": ticket.number, "time": local.strftime("%Y-%m-%d %H:%M")}


def _summary(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line if len(first_line) <= SUMMARY_CHARS else f"{first_line[:SUMMARY_CHARS - 1]}…"


@transaction.atomic
def leave_message(
    *, customer: User, description: str, priority: str, contact: str, category: Category | None = None,
    uploads: Sequence[UploadedFile] = (), now: datetime | None = None,
) -> LeftMessage:
    """File a chat-channel ticket from the off-hours form. Its SLA clock counts business time only, so a
    message left at night or on a holiday is due from the first working hour of the next workday."""
    now = now or timezone.now()
    text = (description or "").strip()
    if not text:
        raise ValidationError({"description": _("This field is required.")})
    body = "\n\n".join([text, _("Preferred contact: %(contact)s") % {"contact": contact_label(customer, contact)}])
    ticket = ticket_services.ticket_create(
        customer=customer, subject=_("Message left in chat: %(summary)s") % {"summary": _summary(text)}, body=body,
        channel=Channel.CHAT, source=LEAVE_MESSAGE_SOURCE, category=category, priority=priority, uploads=uploads,
        now=now,
    )
    return LeftMessage(ticket=ticket, reply=auto_reply(ticket))


_SENDER_LABELS = {
    ChatMessage.Sender.CUSTOMER: lambda: _("customer"),
    ChatMessage.Sender.AGENT: lambda: _("agent"),
    ChatMessage.Sender.BOT: lambda: _("assistant"),
    ChatMessage.Sender.SYSTEM: lambda: _("system"),
}


def _transcript_line(message: ChatMessage) -> str:
    when = date_format(timezone.localtime(message.created_at), "Y-m-d H:i:s")
    role = str(_SENDER_LABELS[ChatMessage.Sender(message.sender)]())
    who = f"{message.author} ({role})" if message.author is not None else role
    if message.is_recalled:
        return f"[{when}] {who}: {_('(message recalled)')}"
    parts: list[str] = []
    if message.attachment is not None:
        attachment = message.attachment
        parts.append(_("[%(kind)s: %(name)s, %(url)s]") % {
            "kind": attachment.get_kind_display(), "name": attachment.original_name,
            "url": reverse("chat:attachment", args=[attachment.pk])})
    if message.body:
        parts.append(message.body)
    if message.edited_at is not None:
        parts.append(_("(edited)"))
    return f"[{when}] {who}: {' '.join(parts)}"


def transcript_notes(conversation: Conversation) -> list[str]:
    """The conversation as note bodies, each within the ticket message limit, headed "(part i/n)"."""
    lines = [_transcript_line(message) for message in selectors.transcript_messages(conversation.pk)]
    # Room for the heading; a single line never exceeds the chat message cap, far below the note cap.
    room = BODY_MAX - 200
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if chunks[-1] and size + len(line) + 1 > room:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    total = len(chunks)
    notes = []
    for index, chunk in enumerate(chunks, start=1):
        heading = _("Chat transcript #%(id)s with %(customer)s (part %(part)d of %(total)d)") % {
            "id": conversation.pk, "customer": conversation.customer, "part": index, "total": total}
        notes.append("\n".join([heading, *chunk]) if chunk else f"{heading}\n{_('(no messages)')}")
    return notes


def _customer_words(conversation: Conversation) -> str:
    texts = [message.body for message in selectors.transcript_messages(conversation.pk)
             if message.sender == ChatMessage.Sender.CUSTOMER and message.body and not message.is_recalled]
    return "\n".join(texts)[:BODY_MAX]


@transaction.atomic
def conversation_to_ticket(
    *, conversation_id: int, user: User, ticket_id: int | None = None, subject: str = "", priority: str | None = None,
    now: datetime | None = None,
) -> TicketLink:
    """Turn the chat into a new ticket (`ticket_id` None) or add it to one of the same customer's tickets.

    The transcript goes on the ticket as internal notes and the link is stored on the conversation
    under its row lock, so a repeated click returns the first ticket and writes nothing.
    """
    conversation = _lock(conversation_id)
    if not selectors.may_ticket(conversation, user):
        raise ChatError("not_found", _("Conversation not found."))
    if conversation.ticket_id is not None:
        return TicketLink(ticket=Ticket.objects.get(pk=conversation.ticket_id), linked_now=False, created=False)
    if ticket_id is None:
        subject = subject.strip()
        if not subject:
            raise ValidationError({"subject": _("This field is required.")})
        words = _customer_words(conversation) or subject
        ticket = ticket_services.ticket_create(
            customer=conversation.customer, subject=subject, body=words, channel=Channel.CHAT, source=CHAT_SOURCE,
            priority=priority or None, created_by=user, now=now,
        )
        if conversation.agent_id == user.pk and ticket.assignee_id != user.pk:
            # The agent who knows the conversation keeps it, when free to take one more ticket.
            with contextlib.suppress(ticket_services.AgentUnavailable):
                ticket = ticket_services.ticket_assign(ticket=ticket, assignee=user, actor=user)
    else:
        found = selectors.customer_ticket_for_linking(user, conversation, ticket_id)
        if found is None:
            raise ValidationError({"ticket": _("Choose one of this customer's tickets.")})
        ticket = found
    for body in transcript_notes(conversation):
        ticket_services.ticket_add_system_note(ticket=ticket, author=user, body=body)
    conversation.ticket = ticket
    conversation.save(update_fields=["ticket"])
    return TicketLink(ticket=ticket, linked_now=True, created=ticket_id is None)

