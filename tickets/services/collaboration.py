"""Working together on tickets: merge, sub-tickets, links, and canned responses with safe variables."""

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from profiles.models import User
from tickets.errors import NotAllowed
from tickets.models import CannedResponse, Status, Ticket, TicketMessage
from tickets.selectors import is_desk
from tickets.services import search_index
from tickets.services.common import publish, save
from tickets.services.tickets import ticket_create
from tickets.workflow import WORKFLOW

# Only these names are substituted; anything else in braces stays as typed. No template engine runs,
# so a canned response cannot reach attributes, filters or tags.
VARIABLE = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Lock two tickets in primary-key order, so two opposite merges cannot deadlock."""
    rows = {
        ticket.pk: ticket for ticket in Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy")
        .filter(pk__in=[first.pk, second.pk]).order_by("pk")
    }
    return rows[first.pk], rows[second.pk]


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Move the source's messages into the target and close the source with a link to it."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can merge tickets."))
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    source, target = _lock_pair(source, target)
    if source.customer_id != target.customer_id:
        raise ValidationError({"target": _("Only tickets of the same customer can be merged.")})
    if source.merged_into_id is not None or not target.is_open:
        raise ValidationError({"target": _("Merge into an open ticket, from a ticket not merged yet.")})
    moved = TicketMessage.objects.filter(ticket=source).update(ticket=target)
    TicketMessage.objects.create(ticket=target, kind=TicketMessage.Kind.NOTE, author=actor,
                                 body=_("Merged from %(number)s (%(count)s messages).") % {
                                     "number": source.number, "count": moved})
    target.tags = sorted(set(target.tags) | set(source.tags))
    target.nudge_count += source.nudge_count
    save(target, actor=actor, reason=f"merged from {source.number}", update_fields=["tags", "nudge_count"])
    source.merged_into = target
    save(source, actor=actor, reason=f"merged into {target.number}", update_fields=["merged_into"])
    if source.status != Status.CLOSED:
        source = WORKFLOW.transition(source, to=Status.CLOSED, actor=actor,
                                     reason=f"merged into {target.number}")
    # The source's messages and tags now belong to the target: both documents are rebuilt from their rows.
    search_index.rebuild([source.pk, target.pk])
    publish("ticket.merged", target, source_ticket_id=source.pk, source_number=source.number, moved=moved)
    publish("ticket.status_changed", source, previous_status="merged", actor_id=actor.pk)
    return target


@transaction.atomic
def ticket_create_child(*, parent: Ticket, actor: User, subject: str, body: str, team: Any = None) -> Ticket:
    """A sub-ticket for the same customer (e.g. ask the warehouse); the parent cannot be solved until it is."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can create sub-tickets."))
    parent = Ticket.objects.select_related("customer").get(pk=parent.pk)
    if parent.parent_id is not None:
        raise ValidationError({"parent": _("A sub-ticket cannot have sub-tickets of its own.")})
    child = ticket_create(
        customer=parent.customer, subject=subject, body=body, channel=parent.channel, source="sub_ticket",
        type=parent.type, category=parent.category, priority=parent.priority, region=parent.region,
        order_number=parent.order_number, team=team or parent.team, parent=parent, created_by=actor,
    )
    publish("ticket.child_created", parent, child_id=child.pk, child_number=child.number)
    return child


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor: User, unlink: bool = False) -> None:
    """Link (or unlink) two related tickets, e.g. the same parcel reported by two customers."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can link tickets."))
    if ticket.pk == other.pk:
        raise ValidationError({"other": _("A ticket cannot be linked to itself.")})
    ticket, other = _lock_pair(ticket, other)
    if unlink:
        ticket.linked.remove(other)
    else:
        ticket.linked.add(other)
    publish("ticket.linked", ticket, other_ticket_id=other.pk, unlinked=unlink, actor_id=actor.pk)


def canned_response_fill(*, response: CannedResponse | str, values: Mapping[str, str], user: User | None = None
                         ) -> str:
    """Fill the `{{ name.attr }}` variables found in `values` (the chat console has no ticket to render
    against, only its customer, agent and orders); other variables stay as typed.

    Plain string substitution: the result is text, escaped wherever it is shown, never a template.
    """
    if isinstance(response, CannedResponse) and response.owner_id not in (None, getattr(user, "pk", None)):
        raise NotAllowed(_("This canned response belongs to someone else."))
    text = response.body if isinstance(response, CannedResponse) else response
    return VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def ticket_variables(ticket: Ticket, user: User | None) -> dict[str, str]:
    """The values of `{{ customer.name }}`, `{{ ticket.number }}`, `{{ order.number }}` ... for one ticket."""
    return {
        "customer.name": str(ticket.customer),
        "ticket.number": ticket.number,
        "ticket.subject": ticket.subject,
        "order.number": ticket.order_number,
        "agent.name": str(user) if user is not None else "",
    }


def unresolved_variables(text: str, values: Mapping[str, str]) -> list[str]:
    """Variables in `text` that are unknown or empty for this ticket, in order, each once."""
    names = dict.fromkeys(match.group(1) for match in VARIABLE.finditer(text))
    return [name for name in names if not values.get(name)]


def canned_response_render(*, response: CannedResponse | str, ticket: Ticket, user: User | None = None) -> str:
    """Fill `{{ customer.name }}`, `{{ ticket.number }}`, `{{ order.number }}`, `{{ agent.name }}`."""
    return canned_response_fill(response=response, values=ticket_variables(ticket, user), user=user)
