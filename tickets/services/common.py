"""Helpers every ticket service shares: locking, saving with history, event payloads, role checks."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import events
from profiles.roles import Role
from profiles.selectors import user_has_role
from tickets import held
from tickets.models import Ticket, TicketMessage
from tickets.services import search_index

BODY_MAX = 20000


def lock(ticket: Ticket | int, *, with_customer: bool = False) -> Ticket:
    """The ticket row, locked for the rest of the transaction (only its own row, not joined ones); the row
    itself when the caller already holds it (`held.holding`)."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    already: Ticket | None = held.held(pk)
    if already is not None:
        return already
    related = ("sla_policy", "customer") if with_customer else ("sla_policy",)
    return Ticket.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)


def save(ticket: Ticket, *, actor: Any, reason: str, update_fields: list[str] | None = None) -> None:
    """Save with the actor and reason on the history row (simple-history reads these attributes)."""
    ticket._history_user = actor if getattr(actor, "is_authenticated", False) else None  # type: ignore[attr-defined]
    ticket._change_reason = reason  # type: ignore[attr-defined]
    if update_fields is not None:
        update_fields = [*update_fields, "updated_at"]
    ticket.save(update_fields=update_fields)


def add_message(*, ticket: Ticket, kind: str, author: Any, body: str, from_customer: bool = False) -> TicketMessage:
    """Every message after a ticket's first goes through here, so the search document hears of it."""
    message = TicketMessage.objects.create(ticket=ticket, kind=kind, author=author, from_customer=from_customer,
                                           body=body)
    search_index.index_message(message)
    return message


def payload(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "customer_id": ticket.customer_id,
        "status": ticket.status,
        "priority": ticket.priority,
        **extra,
    }


def publish(name: str, ticket: Ticket, **extra: Any) -> None:
    events.publish(name, **payload(ticket, **extra))


def is_supervisor(user: Any) -> bool:
    return user_has_role(user, Role.SUPERVISOR, Role.ADMIN)


def clean_text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": limit}})
    return value
