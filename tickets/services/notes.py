"""Notes other code writes on a ticket for the desk. Its own module, below `tickets.services.tickets`, so the
delivery skeleton (which that module reaches through the outbound registry) can write one without a circle."""

from profiles.models import User
from tickets.models import Ticket, TicketMessage
from tickets.services.common import BODY_MAX, add_message, clean_text, lock, publish


def ticket_add_system_note(*, ticket: Ticket, author: User, body: str) -> TicketMessage:
    """An internal note another app writes for the desk (e.g. an after-sales step), as its service account.

    The caller is code, not a person at the desk, so no desk permission is checked and nobody is mentioned.
    """
    body = clean_text(body, "body", BODY_MAX)
    ticket = lock(ticket)
    message = add_message(ticket=ticket, kind=TicketMessage.Kind.NOTE, author=author, body=body)
    publish("ticket.note_added", ticket, message_id=message.pk, author_id=author.pk)
    return message
