"""Time-based automations, run after each SLA sweep (same beat): each rule selects its candidates through
indexed conditions (status and the anchor time), checks business hours where asked, and applies its macro
to each ticket once per window, as the automation account.

The matching tickets are changed `batch.BATCH` at a time by the set-based path (services.batch): one
transaction per batch, rows another transaction holds are left for the next run, the once-per-window run rows
claimed in one insert, so a sweep's queries are a constant per batch. A ticket that path leaves to the ticket
services (an article step, a reply to a merged ticket) goes through them one by one as before."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation

from core.api import ApplicationError
from core.business_hours import business_time_between
from profiles.models import User
from tickets import sla
from tickets.models import Automation, AutomationRun, Macro, Ticket
from tickets.services import batch
from tickets.services.macros import macro_actions, macro_reason
from tickets.services.rules import apply_actions, automation_account, matching, notify_teams


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
        due = [ticket.pk for ticket in candidates(automation, now=now)[: automation.max_per_run * 2]
               if _due(automation, ticket, now, calendars)][: automation.max_per_run]
        plan = batch.Plan(actions=macro_actions(automation.macro), macro=automation.macro,
                          reason=_macro_reason(automation.macro))
        for start in range(0, len(due), batch.BATCH):
            for outcome, count in _fire_batch(automation, plan, due[start:start + batch.BATCH], actor, now).items():
                totals[outcome] += count
    return totals


def _macro_reason(macro: Macro) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return macro_reason(macro)


def _fire_batch(automation: Automation, plan: batch.Plan, ticket_ids: list[int], actor: User, now: datetime
                ) -> dict[str, int]:
    """One transaction: lock the batch (skipping held rows), claim each ticket's run for this window, change the
    claimed ones the rules allow, record why the others were refused."""
    totals = {"applied": 0, "refused": 0}
    one_by_one: list[Ticket] = []
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        tickets = batch.lock(ticket_ids)
        one_by_one = [ticket for ticket in tickets if batch.needs_services(ticket, plan)]
        tickets = [ticket for ticket in tickets if not batch.needs_services(ticket, plan)]
        outcomes = batch.prepare(tickets, plan, actor=actor, now=now)
        errors = {pk: f"{automation.name}: {outcome.message}"[:500] for pk, outcome in outcomes.items()
                  if isinstance(outcome, batch.Refusal)}
        claimed = _claim(automation, tickets, errors)
        changes = [outcome for pk, outcome in outcomes.items() if isinstance(outcome, batch.Change) and pk in claimed]
        batch.write(changes, actor=actor, now=now, macro=automation.macro)
        if automation.notify_team:
            notify_teams(automation, [change.ticket for change in changes], actor)
        # Refused: by the rules, or already done in this window by another sweep.
        totals["applied"], totals["refused"] = len(changes), len(tickets) - len(changes)
    for ticket in one_by_one:
        totals[_fire(automation, ticket, actor)] += 1
    return totals


def _claim(automation: Automation, tickets: list[Ticket], errors: dict[int, str]) -> set[int]:
    """The tickets whose run row for this window this sweep wrote (one insert); a ticket another sweep already
    did in this window is not among them. Raw SQL because bulk_create(ignore_conflicts) cannot say which rows
    it wrote."""
    if not tickets:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_automationrun (automation_id, ticket_id, anchor_at, ran_at, error) "
            "SELECT %s, v.ticket_id, v.anchor_at, %s, v.error "
            "FROM unnest(%s::int[], %s::timestamptz[], %s::text[]) AS v(ticket_id, anchor_at, error) "
            "ON CONFLICT (automation_id, ticket_id, anchor_at) DO NOTHING RETURNING ticket_id",
            [automation.pk, timezone.now(), [ticket.pk for ticket in tickets],
             [getattr(ticket, automation.anchor) for ticket in tickets],
             [errors.get(ticket.pk, "") for ticket in tickets]],
        )
        return {row[0] for row in cursor.fetchall()}


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
