"""SLA clocks on a ticket: set, pause, resume, stop, and what the sweep must announce.

These helpers change the ticket in memory; the calling service or workflow saves it inside its
transaction. Three targets run per ticket: first response, next response (after the customer
writes again) and resolution. Each due time is business time on the policy's calendar.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch

from service_center.core.business_hours import Calendar, add_business_time, business_time_between
from tickets.models import NO_DUE, BusinessCalendar, BusinessHours, DeskSettings, SlaEvent, SlaPolicy, Ticket

Target = SlaEvent.Target
Kind = SlaEvent.Kind


def load_calendar(calendar_id: int) -> Calendar:
    row = BusinessCalendar.objects.prefetch_related(
        Prefetch("hours", queryset=BusinessHours.objects.order_by("weekday", "opens_at")), "overrides"
    ).get(pk=calendar_id)
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in row.hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
    overrides: dict[date, list[tuple[time, time]]] = {}
    for override in row.overrides.all():
        opens, closes = override.opens_at, override.closes_at
        # The check constraint guarantees both times on an open day.
        overrides[override.date] = [(opens, closes)] if override.is_open and opens and closes else []
    return Calendar(weekly=weekly, overrides=overrides, use_statutory_holidays=row.use_statutory_holidays)


class CalendarCache:
    """Calendars by id for one unit of work (a sweep batch), so each is read once."""

    def __init__(self) -> None:
        self._calendars: dict[int, Calendar] = {}

    def get(self, calendar_id: int) -> Calendar:
        if calendar_id not in self._calendars:
            self._calendars[calendar_id] = load_calendar(calendar_id)
        return self._calendars[calendar_id]


def policy_for(*, channel: str, priority: str) -> SlaPolicy | None:
    """The channel-and-priority policy, else the any-channel policy for the priority."""
    policies = list(SlaPolicy.objects.filter(is_active=True, priority=priority, channel__in=[channel, ""]))
    return next((p for p in policies if p.channel == channel), None) or next(iter(policies), None)


def _targets(ticket: Ticket) -> list[tuple[str, datetime, int]]:
    """The running targets: (name, due time, target length in business minutes)."""
    policy = ticket.sla_policy
    if policy is None or not ticket.is_open or ticket.sla_paused_at is not None:
        return []
    running: list[tuple[str, datetime, int]] = []
    if ticket.first_responded_at is None and ticket.first_response_due_at:
        running.append((Target.FIRST_RESPONSE, ticket.first_response_due_at, policy.first_response_minutes))
    if ticket.next_response_due_at:
        running.append((Target.NEXT_RESPONSE, ticket.next_response_due_at, policy.next_response_minutes))
    if ticket.resolution_due_at:
        running.append((Target.RESOLUTION, ticket.resolution_due_at, policy.resolution_minutes))
    return running


def _warn_at(due: datetime, minutes: int, calendar: Calendar, warning_percent: int) -> datetime:
    return add_business_time(due, -timedelta(minutes=minutes * (100 - warning_percent) / 100), calendar)


def refresh(ticket: Ticket, *, now: datetime, calendar: Calendar | None = None,
            warning_percent: int | None = None) -> None:
    """Recompute the queue sort key and the sweep's next check from the running targets."""
    targets = _targets(ticket)
    if not targets:
        ticket.due_at, ticket.next_sla_check_at = NO_DUE, None
        return
    assert ticket.sla_policy is not None
    calendar = calendar or load_calendar(ticket.sla_policy.calendar_id)
    warning_percent = warning_percent or DeskSettings.load().sla_warning_percent
    ticket.due_at = min(due for _, due, _ in targets)
    checks = []
    for _, due, minutes in targets:
        warn = _warn_at(due, minutes, calendar, warning_percent)
        if now < warn:
            checks.append(warn)
        elif now < due:
            checks.append(due)
    ticket.next_sla_check_at = min(checks) if checks else None


def start(ticket: Ticket, *, now: datetime) -> None:
    """Pick the policy for a new ticket and set its first-response and resolution due times."""
    policy = policy_for(channel=ticket.channel, priority=ticket.priority)
    ticket.sla_policy = policy
    if policy is None:
        refresh(ticket, now=now)
        return
    calendar = load_calendar(policy.calendar_id)
    ticket.first_response_due_at = add_business_time(now, timedelta(minutes=policy.first_response_minutes), calendar)
    ticket.resolution_due_at = add_business_time(now, timedelta(minutes=policy.resolution_minutes), calendar)
    refresh(ticket, now=now, calendar=calendar)


def pause(ticket: Ticket, *, now: datetime) -> None:
    ticket.sla_paused_at = now
    ticket.due_at, ticket.next_sla_check_at = NO_DUE, None


def resume(ticket: Ticket, *, now: datetime) -> None:
    """Shift every running due time by the business time spent paused."""
    paused_at, ticket.sla_paused_at = ticket.sla_paused_at, None
    if paused_at is None or ticket.sla_policy is None:
        refresh(ticket, now=now)
        return
    calendar = load_calendar(ticket.sla_policy.calendar_id)
    paused = business_time_between(paused_at, now, calendar)
    ticket.sla_paused_seconds += max(int(paused.total_seconds()), 0)
    for field in ("first_response_due_at", "next_response_due_at", "resolution_due_at"):
        due = getattr(ticket, field)
        if due is not None:
            setattr(ticket, field, add_business_time(now, business_time_between(paused_at, due, calendar), calendar))
    refresh(ticket, now=now, calendar=calendar)


def stop(ticket: Ticket) -> None:
    ticket.sla_paused_at = None
    ticket.due_at, ticket.next_sla_check_at = NO_DUE, None


def restart_resolution(ticket: Ticket, *, now: datetime) -> None:
    """A reopened ticket gets a fresh resolution target."""
    if ticket.sla_policy is None:
        refresh(ticket, now=now)
        return
    calendar = load_calendar(ticket.sla_policy.calendar_id)
    ticket.resolution_due_at = add_business_time(
        now, timedelta(minutes=ticket.sla_policy.resolution_minutes), calendar
    )
    refresh(ticket, now=now, calendar=calendar)


def on_agent_reply(ticket: Ticket, *, now: datetime) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    ticket.next_response_due_at = None
    refresh(ticket, now=now)


def on_customer_reply(ticket: Ticket, *, now: datetime) -> None:
    """Once the desk has answered, a new customer message starts the next-response clock (if not running)."""
    if ticket.first_responded_at is None or ticket.next_response_due_at is not None or ticket.sla_policy is None:
        return
    calendar = load_calendar(ticket.sla_policy.calendar_id)
    ticket.next_response_due_at = add_business_time(
        now, timedelta(minutes=ticket.sla_policy.next_response_minutes), calendar
    )
    refresh(ticket, now=now, calendar=calendar)


@dataclass(frozen=True)
class Alarm:
    target: str
    kind: str
    due_at: datetime


def evaluate(ticket: Ticket, *, now: datetime, calendar: Calendar, warning_percent: int) -> list[Alarm]:
    """What is due to be announced now (a breach past the due time, else a warning past 80 %), with the
    queue key and next check recomputed in the same pass over the targets (the sweep's hot loop)."""
    found = []
    checks = []
    targets = _targets(ticket)
    for target, due, minutes in targets:
        warn = _warn_at(due, minutes, calendar, warning_percent)
        if now >= due:
            found.append(Alarm(target, Kind.BREACH, due))
        elif now >= warn:
            found.append(Alarm(target, Kind.WARNING, due))
            checks.append(due)
        else:
            checks.append(warn)
    ticket.due_at = min((due for _, due, _ in targets), default=NO_DUE)
    ticket.next_sla_check_at = min(checks, default=None)
    return found
