"""Triggers: when something happens to a ticket (created, customer replied, status changed, survey received, its
after-sales request moved), the active triggers for that event whose conditions the ticket meets apply their
macro, after the commit, through the task path, as the automation account.

Loop guard: every event a trigger's own change publishes carries the chain of triggers that led to it
(`events.cause`); a trigger in the chain does not fire again on it, and a chain stops after `MAX_CHAIN`
triggers (the stop is recorded on the run, so a supervisor sees it in admin).
"""

import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import events
from core.api import ApplicationError
from core.queueing import enqueue_many
from profiles.models import User
from tickets import cached_config
from tickets.models import Ticket, Trigger, TriggerRun
from tickets.services.rules import apply_actions, automation_account, matching

logger = logging.getLogger(__name__)
MAX_CHAIN = 3
Event = Trigger.Event
# The domain events triggers hear, published by the ticket services and (by name only: tickets does not import
# after-sales) by the after-sales request services.
DOMAIN_EVENTS = {
    "ticket.created": Event.CREATED,
    "ticket.replied": Event.CUSTOMER_REPLIED,
    "ticket.status_changed": Event.STATUS_CHANGED,
    "ticket.survey_submitted": Event.SURVEY_RECEIVED,
    "aftersales.request_changed": Event.AFTERSALES_CHANGED,
}


def _chain(event: events.DomainEvent) -> list[int]:
    return [int(pk) for pk in event.cause.get("triggers", ())]


def on_events(published: list[events.DomainEvent]) -> None:
    """After the commit: queue the triggers' run for each event an active trigger listens for (one insert)."""
    runs = []
    for event in published:
        kind = DOMAIN_EVENTS[event.name]
        payload: dict[str, Any] = event.payload
        ticket_id = payload.get("ticket_id")
        if ticket_id is None or (kind == Event.CUSTOMER_REPLIED and not payload.get("from_customer")):
            continue
        chain = _chain(event)
        if not set(cached_config.active_trigger_events().get(kind, ())) - set(chain):
            continue
        runs.append({"event": kind, "ticket_id": ticket_id, "chain": chain, "event_id": str(uuid.uuid4())})
    enqueue_many("tickets.tasks.run_triggers", runs)


def subscribe() -> None:
    for name in DOMAIN_EVENTS:
        events.subscribe_batch(name, on_events)


def conditions_match(trigger: Trigger, tickets: Any) -> Any:
    """`tickets` narrowed by the trigger's status list (if any) and the conditions automations use."""
    if trigger.statuses:
        tickets = tickets.filter(status__in=trigger.statuses)
    return matching(tickets, trigger)


def triggers_run(*, event: str, ticket_id: int, chain: list[int], event_id: str) -> dict[str, int]:
    """Every active trigger for `event`, in order, not already in `chain`, whose conditions the ticket meets;
    each fires at most once per event (a redelivered task finds its run row and skips it)."""
    totals = {"applied": 0, "refused": 0}
    if not Ticket.objects.filter(pk=ticket_id).exists():
        return totals
    actor = automation_account()
    # Conditions are checked on the ticket as the event left it, all before any fires: a change an earlier
    # trigger makes is an event of its own (with this trigger in its chain), not a second look in this run.
    candidates = Trigger.objects.filter(event=event, active=True).exclude(pk__in=chain).select_related("macro")
    due = [trigger for trigger in candidates
           if conditions_match(trigger, Ticket.objects.filter(pk=ticket_id)).exists()]
    for trigger in due:
        outcome = _fire(trigger, ticket_id=ticket_id, chain=chain, event_id=event_id, actor=actor)
        if outcome:
            totals[outcome] += 1
    return totals


def _fire(trigger: Trigger, *, ticket_id: int, chain: list[int], event_id: str, actor: User) -> str | None:
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = TriggerRun.objects.create(trigger=trigger, ticket_id=ticket_id, event_id=event_id,
                                                chain=len(chain))
        except IntegrityError:  # this event already fired it (a redelivered task)
            return None
        if len(chain) >= MAX_CHAIN:
            run.error = _("%(trigger)s: not run, %(count)s triggers in a row already changed this ticket") % {
                "trigger": trigger.name, "count": len(chain)}
            run.save(update_fields=["error"])
            logger.warning("trigger chain stopped at %s on ticket %s: %s", trigger.pk, ticket_id, chain)
            return "refused"
        try:
            with transaction.atomic(), events.cause(triggers=[*chain, trigger.pk]):
                apply_actions(trigger, name=trigger.name, ticket=Ticket.objects.get(pk=ticket_id), actor=actor)
        except ApplicationError as error:
            # The ticket stays as it was (the savepoint rolled the macro back); the run says why.
            run.error = f"{trigger.name}: {error.message}"[:500]
            run.save(update_fields=["error"])
            return "refused"
    return "applied"


def matching_now(trigger: Trigger, *, limit: int = 20) -> tuple[list[Ticket], int]:
    """The admin's dry run: the latest tickets the trigger's conditions match now, and how many (capped)."""
    tickets = conditions_match(trigger, Ticket.objects.all())
    return list(tickets.order_by("-pk")[:limit]), tickets.order_by()[:1001].count()
