"""Tickets and their messages on the customer-360 timeline (service_center.core.customer_timeline).

Two queries whatever the customer: the tickets, and the messages with their tickets joined.
"""

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from service_center.core.customer_timeline import Cursor, TimelineEntry, older_than
from tickets.models import Ticket, TicketMessage

SUMMARY_CHARS = 140


def ticket_entries(customer_id: int, before: Cursor | None, limit: int) -> list[TimelineEntry]:
    tickets = (
        Ticket.objects.filter(customer_id=customer_id)
        .filter(older_than(before, kind="ticket", when_field="created_at"))
        .order_by("-created_at", "-pk")[:limit]
    )
    messages = (
        TicketMessage.objects.filter(ticket__customer_id=customer_id)
        .filter(older_than(before, kind="ticket_message", when_field="created_at"))
        .select_related("ticket")
        .order_by("-created_at", "-pk")[:limit]
    )
    entries = [
        TimelineEntry(
            when=ticket.created_at, kind="ticket", pk=ticket.pk, kind_label=_("Ticket opened"),
            title=f"{ticket.number} {ticket.subject}", summary=str(ticket.get_status_display()),
            url=reverse("desk_tickets:ticket", args=[ticket.pk]), channel=ticket.get_channel_display(),
        )
        for ticket in tickets
    ]
    entries.extend(
        TimelineEntry(
            when=message.created_at, kind="ticket_message", pk=message.pk,
            kind_label=_("Internal note") if message.is_note else (
                _("Customer wrote") if message.from_customer else _("Desk replied")),
            title=f"{message.ticket.number} {message.ticket.subject}",
            summary=Truncator(message.body).chars(SUMMARY_CHARS),
            url=reverse("desk_tickets:ticket", args=[message.ticket_id]), channel=message.ticket.get_channel_display(),
        )
        for message in messages
    )
    return entries
