"""Escalation (by SLA breach, by customer nudges, by hand) and the SLA sweep that announces warnings and breaches."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.queueing import enqueue
from profiles.models import User
from tickets import cached_config, routing, sla
from tickets.errors import NotAllowed
from tickets.models import (
    OPEN_STATUSES,
    DeskSettings,
    Escalation,
    Notification,
    SlaEvent,
    TeamSettings,
    Ticket,
    TicketMessage,
)
from tickets.selectors import is_desk
from tickets.services import notifications
from tickets.services.common import add_message, lock, publish, save

NUDGE_BODY = "【催单】"


def _escalate_locked(ticket: Ticket, *, reason: str, from_level: int, actor: Any, note: str = ""
                     ) -> Escalation | None:
    """Escalate an already locked ticket one level above `from_level`; None if that step was already taken."""
    if ticket.escalation_level != from_level:
        return None
    level = from_level + 1
    team_settings = None
    if ticket.team_id is not None:
        team_settings = TeamSettings.objects.select_related("escalation_team", "supervisor").filter(
            team_id=ticket.team_id
        ).first()
    try:
        # The unique (ticket, reason, level) row is the guarantee; the level check above is the fast path.
        with transaction.atomic():
            escalation = Escalation.objects.create(
                ticket=ticket, reason=reason, level=level, note=note[:300],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return None
    previous_assignee = ticket.assignee_id
    supervisor: User | None = team_settings.supervisor if team_settings else None
    if team_settings and team_settings.escalation_team:
        ticket.team = team_settings.escalation_team
        ticket.assignee = routing.choose_agent(team=ticket.team, skill_ids=set(), region=ticket.region) or supervisor
    elif supervisor is not None:
        ticket.assignee = supervisor
    ticket.escalation_level = level
    escalation.to_team_id, escalation.to_user_id = ticket.team_id, ticket.assignee_id
    escalation.save(update_fields=["to_team", "to_user"])
    save(ticket, actor=actor, reason=f"escalated ({reason}) to level {level}")
    recipients = {user.pk: user for user in (ticket.assignee, supervisor) if user is not None}
    notifications.notify(
        recipients=recipients.values(), kind=Notification.Kind.ESCALATION, ticket=ticket, actor=actor,
        text=_("%(number)s escalated to level %(level)s: %(reason)s") % {
            "number": ticket.number, "level": level, "reason": Escalation.Reason(reason).label},
    )
    publish("ticket.escalated", ticket, level=level, reason=reason, previous_assignee_id=previous_assignee)
    if ticket.assignee_id != previous_assignee:
        publish("ticket.assigned", ticket, previous_assignee_id=previous_assignee)
    return escalation


@transaction.atomic
def ticket_escalate(*, ticket: Ticket | int, reason: str = Escalation.Reason.MANUAL, actor: Any = None,
                    from_level: int | None = None, note: str = "") -> Escalation | None:
    """Escalate one level. Safe to retry: pass the `from_level` the caller saw, and a repeat is a no-op.

    By hand (`reason="manual"`) needs a desk user; the SLA sweep and nudges call it without an actor.
    """
    if reason == Escalation.Reason.MANUAL and not is_desk(actor):
        raise NotAllowed(_("Only the service desk can escalate tickets."))
    ticket = lock(ticket)
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("Only open tickets can be escalated.")})
    level = ticket.escalation_level if from_level is None else from_level
    return _escalate_locked(ticket, reason=reason, from_level=level, actor=actor, note=note)


def check_nudges(ticket: Ticket, *, now: datetime) -> Escalation | None:
    """On a locked ticket: N customer messages or 催单 clicks within the window (since the last nudge
    escalation) escalate it."""
    settings = cached_config.desk_settings()  # every customer reply asks: from the shared cache
    since = now - timedelta(minutes=settings.nudge_window_minutes)
    last = ticket.escalations.filter(reason=Escalation.Reason.NUDGES).order_by("-created_at").first()
    if last is not None:
        since = max(since, last.created_at)
    recent = ticket.messages.filter(from_customer=True, created_at__gt=since).count()
    if recent < settings.nudge_threshold:
        return None
    return _escalate_locked(ticket, reason=Escalation.Reason.NUDGES, from_level=ticket.escalation_level, actor=None)


@transaction.atomic
def ticket_nudge(*, ticket: Ticket, customer: User, now: datetime | None = None) -> Ticket:
    """The customer's 催单 button: counted, shown to the desk, and escalates after N within the window."""
    now = now or timezone.now()
    ticket = lock(ticket)
    if customer.pk != ticket.customer_id:
        raise NotAllowed(_("You may not nudge this ticket."))
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("Only open tickets can be nudged.")})
    add_message(ticket=ticket, kind=TicketMessage.Kind.REPLY, author=customer, from_customer=True, body=NUDGE_BODY)
    ticket.nudge_count += 1
    ticket.last_nudged_at = now
    save(ticket, actor=customer, reason="nudged", update_fields=["nudge_count", "last_nudged_at"])
    publish("ticket.nudged", ticket, nudge_count=ticket.nudge_count)
    check_nudges(ticket, now=now)
    return ticket


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Announce due SLA warnings and breaches (each once) and queue the breaches' escalation; batch by batch.

    Beat runs this every minute. Rows another worker holds are skipped, not waited for, so two
    overlapping sweeps share the work.
    """
    now = now or timezone.now()
    totals = {"checked": 0, "warnings": 0, "breaches": 0}
    done: list[int] = []
    while True:
        with transaction.atomic():
            counts = _sweep_batch(now=now, batch_size=batch_size, skip_ids=done)
        if not counts["checked"]:
            return totals
        for key in totals:
            totals[key] += counts[key]


def _sweep_batch(*, now: datetime, batch_size: int, skip_ids: list[int]) -> dict[str, int]:
    # `skip_ids` grows with every batch: a row whose next check is still due (say, a clock on a
    # calendar edited mid-sweep) is looked at once per sweep, never in a loop.
    tickets = list(
        Ticket.objects.select_for_update(skip_locked=True, of=("self",)).select_related("sla_policy")
        .filter(next_sla_check_at__lte=now).exclude(pk__in=skip_ids).order_by("next_sla_check_at")[:batch_size]
    )
    skip_ids.extend(ticket.pk for ticket in tickets)
    if not tickets:
        return {"checked": 0, "warnings": 0, "breaches": 0}
    warning_percent = DeskSettings.load().sla_warning_percent
    calendars = sla.CalendarCache()
    announced = set(
        SlaEvent.objects.filter(ticket__in=tickets).values_list("ticket_id", "target", "kind", "due_at")
    )
    new_events: list[SlaEvent] = []
    breached: list[Ticket] = []
    for ticket in tickets:
        if ticket.sla_policy is None:
            sla.stop(ticket)
            continue
        calendar = calendars.get(ticket.sla_policy.calendar_id)
        for alarm in sla.evaluate(ticket, now=now, calendar=calendar, warning_percent=warning_percent):
            if (ticket.pk, alarm.target, alarm.kind, alarm.due_at) in announced:
                continue
            new_events.append(SlaEvent(ticket=ticket, target=alarm.target, kind=alarm.kind, due_at=alarm.due_at))
            name = "ticket.sla_breached" if alarm.kind == SlaEvent.Kind.BREACH else "ticket.sla_warning"
            publish(name, ticket, target=alarm.target, due_at=alarm.due_at.isoformat())
            if alarm.kind == SlaEvent.Kind.BREACH and (not breached or breached[-1].pk != ticket.pk):
                breached.append(ticket)
    SlaEvent.objects.bulk_create(new_events, ignore_conflicts=True)
    # Only the clock columns, in one statement: bulk_update's CASE per row costs more than the sweep itself.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket AS t SET next_sla_check_at = v.next_check, due_at = v.due "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v(id, next_check, due) "
            "WHERE t.id = v.id",
            [[t.pk for t in tickets], [t.next_sla_check_at for t in tickets], [t.due_at for t in tickets]],
        )
    # Escalation is heavier (reassign, notify, mail) and runs in its own task after commit, keyed by the
    # level seen here: a redelivered or duplicate task finds the step taken and does nothing.
    for ticket in breached:
        enqueue("tickets.tasks.escalate_ticket", ticket_id=ticket.pk, reason=Escalation.Reason.SLA_BREACH,
                from_level=ticket.escalation_level)
    return {
        "checked": len(tickets),
        "warnings": sum(event.kind == SlaEvent.Kind.WARNING for event in new_events),
        "breaches": sum(event.kind == SlaEvent.Kind.BREACH for event in new_events),
    }
