"""Tickets and satisfaction surveys follow a duplicate customer into the one they are merged into."""

from core.customer_merge import MergeHandler
from tickets.models import SatisfactionSurvey, Ticket
from tickets.services import search_index


def _move(source_id: int, target_id: int) -> dict[str, int]:
    moved = {
        "tickets.Ticket.customer": Ticket.objects.filter(customer_id=source_id).update(customer_id=target_id),
        "tickets.SatisfactionSurvey.customer": SatisfactionSurvey.objects.filter(customer_id=source_id)
        .update(customer_id=target_id),
    }
    # The moved tickets are now found by the kept customer's name.
    if moved["tickets.Ticket.customer"]:
        search_index.refresh_customer(target_id)
    return moved


HANDLER = MergeHandler(fields=("tickets.Ticket.customer", "tickets.SatisfactionSurvey.customer"), move=_move)
