"""Where after-sales meets the desk: ticket events it acts on, and the desk page's link back to the request.

tickets cannot import after-sales, so after-sales listens: the request's steps become notes on its
ticket, a complaint's ticket solved resolves the complaint, a complaint's survey and evaluation stay
one rating. Each handler runs after the commit and only queues a Celery task (as notifications do).
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales import selectors
from core import events
from core.queueing import enqueue
from tickets import links
from tickets.models import Status as TicketStatus
from tickets.models import Ticket


def _on_request_changed(event: events.DomainEvent) -> None:
    enqueue("aftersales.tasks.add_ticket_notes", request_id=event.payload["request_id"])


def _on_ticket_status(published: list[events.DomainEvent]) -> None:
    """Complaints of tickets solved or closed are resolved: one query finds them whatever the number of events."""
    finished = {event.payload["ticket_id"]: event.payload for event in published
                if event.payload.get("status") in (TicketStatus.SOLVED, TicketStatus.CLOSED)}
    if not finished:
        return
    for ticket_id in selectors.tickets_with_complaints(list(finished)):
        payload = finished[ticket_id]
        enqueue("aftersales.tasks.resolve_complaint", ticket_id=ticket_id, actor_id=payload.get("actor_id"),
                reason=payload.get("reason", ""))


def _on_survey(event: events.DomainEvent) -> None:
    request_id = selectors.own_complaint_id(event.payload["ticket_id"])
    if request_id is not None:
        enqueue("aftersales.tasks.sync_complaint_rating", request_id=request_id)


def _on_evaluated(event: events.DomainEvent) -> None:
    enqueue("aftersales.tasks.sync_complaint_rating", request_id=event.payload["request_id"])


def request_link(ticket: Ticket, user: Any) -> list[links.TicketLink]:
    """The desk's link from a request's ticket to the request's platform page."""
    if not selectors.is_platform(user):
        return []
    request = selectors.request_of_ticket(ticket.pk)
    if request is None:
        return []
    return [links.TicketLink(kind=_("After-sales request"), label=request.number,
                             url=reverse("aftersales:arbitration_request", args=[request.number]),
                             status=request.get_status_display())]


def subscribe() -> None:
    events.subscribe("aftersales.request_changed", _on_request_changed)
    events.subscribe("aftersales.request_evaluated", _on_evaluated)
    events.subscribe_batch("ticket.status_changed", _on_ticket_status)
    events.subscribe("ticket.survey_sent", _on_survey)
    events.subscribe("ticket.survey_submitted", _on_survey)
    links.register(request_link)
