"""SLA clocks on a ticket: set, pause, resume, stop, and what the sweep must announce.

These helpers change the ticket in memory; the calling service or workflow saves it inside its
transaction. Three targets run per ticket: first response, next response (after the customer
writes again) and resolution. Each due time is business time on the policy's calendar.
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrPromise

from core.business_hours import Calendar, add_business_time, business_time_between, is_open_at
from tickets import cached_config, held
from tickets.models import NO_DUE, SlaEvent, SlaPolicy, Ticket

Target = SlaEvent.Target
Kind = SlaEvent.Kind


def load_calendar(calendar_id: int) -> Calendar:
    """The calendar from the configuration cache (a write to a calendar, its hours or overrides drops the copy,
    so pages and sweeps see an edit at once); read once while a ticket is held (a macro's steps)."""
    memo = held.calendars()
    if memo is not None and calendar_id in memo:
        calendar: Calendar = memo[calendar_id]
        return calendar
    calendar = cached_config.calendar(calendar_id)
    if memo is not None:
        memo[calendar_id] = calendar
    return calendar


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
    policies = [policy for policy in cached_config.sla_policies()
                if policy.priority == priority and policy.channel in (channel, "")]
    return next((p for p in policies if p.channel == channel), None) or next(iter(policies), None)


def _targets(ticket: Ticket, *, while_paused: bool = False) -> list[tuple[str, datetime, int]]:
    """The running targets: (name, due time, target length in business minutes); none while paused unless
    `while_paused` (the targets the pause holds)."""
    policy = ticket.sla_policy
    if policy is None or not ticket.is_open or (ticket.sla_paused_at is not None and not while_paused):
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


def _paused_due(ticket: Ticket) -> datetime:
    """The queue key of a paused ticket. One paused after a deadline had passed is breached (`clocks` says
    so on every page), so it keeps that deadline and the breached view lists it; any other waits at the end."""
    paused_at = ticket.sla_paused_at
    assert paused_at is not None
    return min((due for _, due, _ in _targets(ticket, while_paused=True) if due <= paused_at), default=NO_DUE)


def refresh(ticket: Ticket, *, now: datetime, calendar: Calendar | None = None,
            warning_percent: int | None = None) -> None:
    """Recompute the queue sort key and the sweep's next check from the running targets."""
    if ticket.is_open and ticket.sla_paused_at is not None:
        ticket.due_at, ticket.next_sla_check_at = _paused_due(ticket), None
        return
    targets = _targets(ticket)
    if not targets:
        ticket.due_at, ticket.next_sla_check_at = NO_DUE, None
        return
    assert ticket.sla_policy is not None
    calendar = calendar or load_calendar(ticket.sla_policy.calendar_id)
    warning_percent = warning_percent or cached_config.sla_warning_percent()
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
    calendar = cached_config.calendar(policy.calendar_id)
    ticket.first_response_due_at = add_business_time(now, timedelta(minutes=policy.first_response_minutes), calendar)
    ticket.resolution_due_at = add_business_time(now, timedelta(minutes=policy.resolution_minutes), calendar)
    refresh(ticket, now=now, calendar=calendar)


def pause(ticket: Ticket, *, now: datetime) -> None:
    ticket.sla_paused_at = now
    ticket.due_at, ticket.next_sla_check_at = _paused_due(ticket), None


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
    """What is due to be announced now (a breach past the due time, else a warning past 80 %) on the live,
    unpaused clocks, read from `clocks` like every page; the queue key and next check are recomputed too."""
    found = []
    for clock in clocks(ticket, now=now, calendar=calendar, warning_percent=warning_percent):
        if not clock.live or clock.state == ClockState.PAUSED:
            continue
        if clock.state == ClockState.BREACHED:
            found.append(Alarm(clock.target, Kind.BREACH, clock.due_at))
        elif clock.warning:
            found.append(Alarm(clock.target, Kind.WARNING, clock.due_at))
    refresh(ticket, now=now, calendar=calendar, warning_percent=warning_percent)
    return found


class ClockState(models.TextChoices):
    RUNNING = "running", gettext_lazy("Running")
    PAUSED = "paused", gettext_lazy("Paused")
    MET = "met", gettext_lazy("Met")
    BREACHED = "breached", gettext_lazy("Breached")


TARGET_LABELS: dict[str, StrPromise] = {
    Target.FIRST_RESPONSE: gettext_lazy("First response"),
    Target.NEXT_RESPONSE: gettext_lazy("Next response"),
    Target.RESOLUTION: gettext_lazy("Resolution"),
}


@dataclass(frozen=True)
class Clock:
    """One SLA target of a ticket at a moment, in business time on the policy's calendar.

    `remaining`: business time left (running or paused, else zero). `overdue`: business time past
    the due time (breached, else zero); for a target answered late, how late it was answered.
    `live`: the target is still open (a breach on a live clock keeps growing; the sweep announces it).
    The durations are measured when first read: the sweep needs only the states, pages the figures.
    """

    target: str
    state: ClockState
    due_at: datetime
    warning: bool
    live: bool
    now: datetime
    # The span the figure measures: (now or pause, due) while time is left, (due, now or stop) once overdue.
    span: tuple[datetime, datetime] | None
    calendar: Calendar = dataclass_field(repr=False, compare=False)

    @property
    def label(self) -> str:
        return str(TARGET_LABELS[self.target])

    @cached_property
    def _measured(self) -> timedelta:
        return business_time_between(*self.span, self.calendar) if self.span else timedelta(0)

    @property
    def remaining(self) -> timedelta:
        return self._measured if self.state in (ClockState.RUNNING, ClockState.PAUSED) else timedelta(0)

    @property
    def overdue(self) -> timedelta:
        return self._measured if self.state == ClockState.BREACHED else timedelta(0)

    @property
    def seconds(self) -> int:
        """Signed business seconds: left when positive, overdue when negative (the desk script counts from it)."""
        return int((self.remaining - self.overdue).total_seconds())

    @property
    def ticking(self) -> bool:
        """Running or overdue while the desk is open: the page may count on by itself."""
        return self.live and self.state != ClockState.PAUSED and is_open_at(self.calendar, self.now)


def _clock(target: str, due: datetime, minutes: int, *, now: datetime, stopped_at: datetime | None,
           paused_at: datetime | None, calendar: Calendar, warning_percent: int) -> Clock:
    def make(state: ClockState, span: tuple[datetime, datetime] | None, *, live: bool,
             warning: bool = False) -> Clock:
        return Clock(target, state, due, warning, live, now, span, calendar)

    if stopped_at is not None:  # answered / solved: the clock froze at that moment
        if stopped_at <= due:
            return make(ClockState.MET, None, live=False)
        return make(ClockState.BREACHED, (due, stopped_at), live=False)
    if paused_at is not None:
        # Waiting on the customer: the due time moves on resume by the paused time, so what is left stays.
        if paused_at < due:
            return make(ClockState.PAUSED, (paused_at, due), live=True)
        return make(ClockState.BREACHED, (due, paused_at), live=True)
    if now >= due:
        return make(ClockState.BREACHED, (due, now), live=True)
    return make(ClockState.RUNNING, (now, due), live=True,
                warning=now >= _warn_at(due, minutes, calendar, warning_percent))


def clocks(ticket: Ticket, *, now: datetime, calendar: Calendar | None = None,
           warning_percent: int | None = None) -> list[Clock]:
    """The ticket's SLA targets at `now`: the one answer for the sweep, the desk pages, the API and reports.

    First response stops at `first_responded_at` (met or breached, never overdue afterwards);
    resolution stops when the ticket is solved or closed; next response runs only while the
    customer waits for an answer. A paused ticket (waiting on the customer) keeps what it had left.
    """
    policy = ticket.sla_policy
    if policy is None:
        return []
    calendar = calendar or cached_config.calendar(policy.calendar_id)
    if warning_percent is None:
        warning_percent = cached_config.sla_warning_percent()
    ended = None if ticket.is_open else (ticket.solved_at or ticket.closed_at or now)
    paused = ticket.sla_paused_at if ticket.is_open else None
    targets = [
        (Target.FIRST_RESPONSE, ticket.first_response_due_at, policy.first_response_minutes,
         ticket.first_responded_at or ended),
        (Target.NEXT_RESPONSE, ticket.next_response_due_at if ticket.is_open else None,
         policy.next_response_minutes, None),
        (Target.RESOLUTION, ticket.resolution_due_at, policy.resolution_minutes, ended),
    ]
    return [
        _clock(target, due, minutes, now=now, stopped_at=stopped, paused_at=paused if stopped is None else None,
               calendar=calendar, warning_percent=warning_percent)
        for target, due, minutes, stopped in targets if due is not None
    ]


def most_urgent(ticket_clocks: list[Clock]) -> Clock | None:
    """The live clock with the least time left (the most overdue first): what a queue row shows."""
    live = [clock for clock in ticket_clocks if clock.live]
    return min(live, key=lambda clock: clock.seconds, default=None)


def clocks_for_many(tickets: list[Ticket], *, now: datetime) -> dict[int, list[Clock]]:
    """`clocks` for a page of tickets (sla_policy selected): each calendar and the desk settings read once."""
    calendars = CalendarCache()
    warning_percent = cached_config.sla_warning_percent()
    return {
        ticket.pk: clocks(ticket, now=now, warning_percent=warning_percent,
                          calendar=calendars.get(ticket.sla_policy.calendar_id) if ticket.sla_policy else None)
        for ticket in tickets
    }


def retarget(ticket: Ticket, *, now: datetime) -> None:
    """After a priority change: the policy for the new priority, its targets counted from creation as if it
    had applied from the start (time paused so far still added); answered and stopped targets stay as they are."""
    policy = policy_for(channel=ticket.channel, priority=ticket.priority)
    if policy is None or policy.pk == ticket.sla_policy_id:
        return
    ticket.sla_policy = policy
    calendar = load_calendar(policy.calendar_id)
    paused = timedelta(seconds=ticket.sla_paused_seconds)
    if ticket.first_response_due_at is not None and ticket.first_responded_at is None:
        ticket.first_response_due_at = add_business_time(
            ticket.created_at, timedelta(minutes=policy.first_response_minutes) + paused, calendar)
    if ticket.resolution_due_at is not None and ticket.solved_at is None:
        ticket.resolution_due_at = add_business_time(
            ticket.created_at, timedelta(minutes=policy.resolution_minutes) + paused, calendar)
    if ticket.sla_paused_at is None:
        refresh(ticket, now=now, calendar=calendar)
