"""Tickets, their messages, phone calls and e-mails on the customer-360 timeline
(core.customer_timeline).

Two providers, two queries each whatever the customer: the tickets and the messages (with their tickets
joined); the calls (with their tickets joined) and the e-mails.
"""

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.customer_timeline import Cursor, TimelineEntry, newest
from tickets.models import CallRecord, Channel, EmailMessage, Ticket, TicketMessage

SUMMARY_CHARS = 140


def ticket_entries(customer_id: int, before: Cursor | None, limit: int) -> list[TimelineEntry]:
    tickets = newest(Ticket.objects.filter(customer_id=customer_id), before, kind="ticket", when_field="created_at",
                     limit=limit)
    messages = newest(TicketMessage.objects.filter(ticket__customer_id=customer_id).select_related("ticket"), before,
                      kind="ticket_message", when_field="created_at", limit=limit)
    entries = [
        TimelineEntry(
            when=ticket.created_at, kind="ticket", pk=ticket.pk, kind_label=gettext_lazy("Ticket opened"),
            title=f"{ticket.number} {ticket.subject}", summary=str(ticket.get_status_display()),
            url=reverse("desk_tickets:ticket", args=[ticket.pk]), channel=ticket.get_channel_display(),
        )
        for ticket in tickets
    ]
    entries.extend(
        TimelineEntry(
            when=message.created_at, kind="ticket_message", pk=message.pk,
            kind_label=gettext_lazy("Internal note") if message.is_note else (
                gettext_lazy("Customer wrote") if message.from_customer else gettext_lazy("Desk replied")),
            title=f"{message.ticket.number} {message.ticket.subject}",
            summary=Truncator(message.body).chars(SUMMARY_CHARS),
            url=reverse("desk_tickets:ticket", args=[message.ticket_id]), channel=message.ticket.get_channel_display(),
        )
        for message in messages
    )
    return entries


def _call_summary(call: CallRecord) -> str:
    seconds = call.duration_seconds
    duration = _("still on the line") if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"
    ivr = " > ".join(str(step) for step in call.ivr_path) if call.ivr_path else _("none")
    return _("%(direction)s call, %(duration)s. IVR: %(ivr)s.") % {
        "direction": call.get_direction_display(), "duration": duration, "ivr": ivr}


def _email_summary(mail: EmailMessage) -> str:
    direction = str(mail.get_direction_display())
    return _("%(direction)s, bounced") % {"direction": direction} if mail.bounced_at else direction


def contact_entries(customer_id: int, before: Cursor | None, limit: int) -> list[TimelineEntry]:
    """Phone calls (when they started) and e-mails in or out (when they were stored) on the customer's
    tickets; mail not on a ticket (loops, held senders) belongs to no customer and never shows."""
    calls = newest(CallRecord.objects.filter(ticket__customer_id=customer_id).select_related("ticket"), before,
                   kind="call", when_field="started_at", limit=limit)
    mails = newest(
        EmailMessage.objects.filter(ticket__customer_id=customer_id)
        .only("pk", "direction", "subject", "bounced_at", "created_at", "ticket_id"),
        before, kind="email", when_field="created_at", limit=limit)
    entries = [
        TimelineEntry(
            when=call.started_at, kind="call", pk=call.pk, kind_label=gettext_lazy("Phone call"),
            title=f"{call.ticket.number} {call.ticket.subject}", summary=_call_summary(call),
            url=reverse("desk_tickets:ticket", args=[call.ticket_id]), channel=Channel.PHONE.label,
        )
        for call in calls
    ]
    entries.extend(
        TimelineEntry(
            when=mail.created_at, kind="email", pk=mail.pk, kind_label=gettext_lazy("E-mail"),
            title=mail.subject or _("(no subject)"), summary=_email_summary(mail),
            url=reverse("desk_tickets:ticket", args=[mail.ticket_id]), channel=Channel.EMAIL.label,
        )
        for mail in mails
    )
    return entries
