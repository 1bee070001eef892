"""Time-based automations, run after each SLA sweep (same beat): each rule selects its candidates through
indexed conditions (status and the anchor time), checks business hours where asked, and applies its macro
to each ticket once per window, as the automation account, through the ticket services."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.api import ApplicationError
from core.business_hours import business_time_between
from profiles.models import User
from tickets import sla
from tickets.models import Automation, AutomationRun, Ticket
from tickets.services.rules import apply_actions, automation_account, matching


def candidates(automation: Automation, *, now: datetime) -> QuerySet[Ticket]:
    """Tickets the rule matches now, before the business-hours check, minus those it already did in this
    window; oldest anchor first. Status and anchor time are indexed; the rest narrows that set."""
    anchor = automation.anchor
    tickets = Ticket.objects.filter(status__in=automation.statuses, **{
        f"{anchor}__isnull": False, f"{anchor}__lte": now - timedelta(hours=automation.hours)})
    tickets = matching(tickets, automation)
    done_in_window = AutomationRun.objects.filter(automation=automation, ticket=OuterRef("pk"),
                                                  anchor_at=OuterRef(anchor))
    return tickets.exclude(Exists(done_in_window)).select_related("sla_policy").order_by(anchor, "pk")


def _due(automation: Automation, ticket: Ticket, now: datetime, calendars: sla.CalendarCache) -> bool:
    # Business hours are counted on the ticket's SLA calendar; a ticket without a policy has no calendar, so
    # its hours are plain hours.
    if not automation.business_hours or ticket.sla_policy is None:
        return True
    anchor_at: datetime = getattr(ticket, automation.anchor)
    spent = business_time_between(anchor_at, now, calendars.get(ticket.sla_policy.calendar_id))
    return spent >= timedelta(hours=automation.hours)


def matching_now(automation: Automation, *, now: datetime | None = None, limit: int = 20) -> tuple[list[Ticket], int]:
    """The admin's dry run: the first tickets the rule would change now, and how many (capped)."""
    now = now or timezone.now()
    calendars = sla.CalendarCache()
    rows = [t for t in candidates(automation, now=now)[: limit * 5] if _due(automation, t, now, calendars)]
    return rows[:limit], candidates(automation, now=now).order_by()[:1001].count()


def automations_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Every active rule in order, each capped at its `max_per_run` tickets."""
    now = now or timezone.now()
    totals = {"applied": 0, "refused": 0}
    actor = automation_account()
    calendars = sla.CalendarCache()
    for automation in Automation.objects.filter(active=True).select_related("macro").order_by("position", "pk"):
        fired = 0
        for ticket in candidates(automation, now=now)[: automation.max_per_run * 2]:
            if fired >= automation.max_per_run:
                break
            if not _due(automation, ticket, now, calendars):
                continue
            fired += 1
            totals[_fire(automation, ticket, actor)] += 1
    return totals


def _fire(automation: Automation, ticket: Ticket, actor: User) -> str:
    anchor_at = getattr(ticket, automation.anchor)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = AutomationRun.objects.create(automation=automation, ticket=ticket, anchor_at=anchor_at)
        except IntegrityError:  # another sweep did it in this window
            return "refused"
        try:
            with transaction.atomic():
                apply_actions(automation, name=automation.name, ticket=ticket, actor=actor)
        except ApplicationError as error:
            # The ticket stays as it was; the run row keeps the window from retrying every minute.
            run.error = f"{automation.name}: {error.message}"[:500]
            run.save(update_fields=["error"])
            return "refused"
    return "applied"
