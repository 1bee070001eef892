"""SLA clocks with a frozen clock: every service takes `now`, so time is whatever the test says."""

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core import events
from profiles.models import User
from tests.tickets.factories import SlaPolicyFactory, make_calendar
from tickets import selectors, services, sla
from tickets.models import NO_DUE, SlaEvent, SlaPolicy, Status, Ticket

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def policy(db: None) -> SlaPolicy:
    return SlaPolicyFactory.create(priority="normal", first_response_minutes=60, next_response_minutes=120,
                                   resolution_minutes=540)


@pytest.fixture
def heard() -> Iterator[list[events.DomainEvent]]:
    got: list[events.DomainEvent] = []
    names = ["ticket.sla_warning", "ticket.sla_breached"]
    for name in names:
        events.subscribe(name, got.append)
    yield got
    for name in names:
        events.unsubscribe(name, got.append)


def test_due_times_skip_the_weekend(policy: SlaPolicy, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket(now=at(11, 27, 17, 30))  # Friday
    assert ticket.sla_policy == policy
    assert ticket.first_response_due_at == at(11, 30, 9, 30)
    assert ticket.resolution_due_at == at(11, 30, 17, 30)
    assert ticket.due_at == ticket.first_response_due_at
    # Warning at 80 %: 12 business minutes before the due time.
    assert ticket.next_sla_check_at == at(11, 30, 9, 18)


def test_due_times_skip_golden_week_and_use_tiaoxiu(policy: SlaPolicy, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket(now=at(9, 27, 17, 30, year=2025))  # Saturday 27 Sept 2025: an ordinary day off
    assert ticket.first_response_due_at == at(9, 28, 10, year=2025)  # Sunday 28 Sept is the make-up workday
    late = make_ticket(now=at(9, 30, 17, 30, year=2025))
    assert late.first_response_due_at == at(10, 9, 9, 30, year=2025)


def test_channel_policy_beats_the_any_channel_policy(policy: SlaPolicy, make_ticket: Callable[..., Ticket]) -> None:
    phone = SlaPolicyFactory.create(channel="phone", priority="normal", first_response_minutes=10,
                                    calendar=policy.calendar)
    assert make_ticket(channel="phone", now=at(11, 23, 10)).first_response_due_at == at(11, 23, 10, 10)
    assert make_ticket(channel="email", now=at(11, 23, 10)).sla_policy == policy
    assert phone.pk


def test_pause_shifts_due_times_by_paused_business_time(policy: SlaPolicy, make_ticket: Callable[..., Ticket],
                                                         make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    ticket = make_ticket(now=at(11, 30, 8, 0))  # Monday before opening: due 10:00, resolution 18:00
    assert ticket.first_response_due_at == at(11, 30, 10)
    paused = services.ticket_transition(ticket=ticket, target=Status.PENDING, actor=agent, now=at(11, 30, 9, 30))
    assert paused.due_at == NO_DUE and paused.next_sla_check_at is None
    resumed = services.ticket_transition(ticket=ticket, target=Status.OPEN, actor=agent, now=at(12, 1, 10))
    # Paused Monday 9:30-18:00 plus Tuesday 9:00-10:00 = 570 business minutes.
    assert resumed.sla_paused_seconds == 570 * 60
    assert resumed.first_response_due_at == at(12, 1, 10, 30)
    assert resumed.resolution_due_at == at(12, 2, 9, 30)
    assert resumed.due_at == at(12, 1, 10, 30)


def test_ticket_paused_after_its_deadline_stays_in_the_breached_view(
        policy: SlaPolicy, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    """The page shows 已超时 for a ticket put on hold past its deadline; the breached queue agrees."""
    agent = make_agent()
    late = make_ticket(now=at(11, 30, 8, 0))  # first response due Monday 10:00
    on_time = make_ticket(now=at(11, 30, 8, 0))
    services.ticket_transition(ticket=on_time, target=Status.PENDING, actor=agent, now=at(11, 30, 9, 30))
    paused = services.ticket_transition(ticket=late, target=Status.PENDING, actor=agent, now=at(11, 30, 11))
    assert paused.due_at == at(11, 30, 10) and paused.next_sla_check_at is None
    now = at(12, 1, 9, 30)
    for ticket, state in ((late, sla.ClockState.BREACHED), (on_time, sla.ClockState.PAUSED)):
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert sla.clocks(ticket, now=now)[0].state == state
    breached = selectors.queue(agent, selectors.QueueView.BREACHED, now=now).tickets
    assert [ticket.pk for ticket in breached] == [late.pk]
    assert on_time.pk not in [t.pk for t in selectors.queue(agent, selectors.QueueView.DUE_SOON, now=now).tickets]


def test_replies_meet_and_restart_response_clocks(policy: SlaPolicy, make_ticket: Callable[..., Ticket],
                                                   make_agent: Callable[..., User], customer: User) -> None:
    agent = make_agent()
    ticket = make_ticket(now=at(11, 23, 10))
    services.ticket_reply(ticket=ticket, author=agent, body="您好，正在为您查询。", now=at(11, 23, 10, 20))  # noqa: RUF001
    ticket.refresh_from_db()
    assert ticket.first_responded_at == at(11, 23, 10, 20) and ticket.status == Status.OPEN
    assert ticket.due_at == ticket.resolution_due_at == at(11, 24, 10)
    services.ticket_reply(ticket=ticket, author=customer, body="好的，谢谢", now=at(11, 23, 11))  # noqa: RUF001
    ticket.refresh_from_db()
    assert ticket.next_response_due_at == at(11, 23, 13) and ticket.due_at == at(11, 23, 13)


def test_warning_and_breach_fire_once_each(policy: SlaPolicy, make_ticket: Callable[..., Ticket],
                                           heard: list[events.DomainEvent],
                                           django_capture_on_commit_callbacks: Callable[..., object]) -> None:
    ticket = make_ticket(now=at(11, 23, 10))  # first response due 11:00, warning 10:48
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        assert services.sla_sweep(now=at(11, 23, 10, 47))["checked"] == 0
        assert services.sla_sweep(now=at(11, 23, 10, 50))["warnings"] == 1
        assert services.sla_sweep(now=at(11, 23, 10, 55))["checked"] == 0
        breach = services.sla_sweep(now=at(11, 23, 11, 1))
        assert (breach["breaches"], breach["warnings"]) == (1, 0)
        assert services.sla_sweep(now=at(11, 23, 11, 2))["checked"] == 0
    assert [event.name for event in heard] == ["ticket.sla_warning", "ticket.sla_breached"]
    assert heard[1].payload["ticket_id"] == ticket.pk and heard[1].payload["target"] == "first_response"
    assert SlaEvent.objects.filter(ticket=ticket).count() == 2
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    # Next the resolution target's warning: 80 % of 540 minutes after 10:00 is 17:12.
    assert ticket.next_sla_check_at == at(11, 23, 17, 12)


def test_solved_ticket_leaves_the_sweep(policy: SlaPolicy, make_ticket: Callable[..., Ticket],
                                        make_agent: Callable[..., User]) -> None:
    ticket = make_ticket(now=at(11, 23, 10))
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=make_agent(), now=at(11, 23, 10, 5))
    assert services.sla_sweep(now=at(11, 30, 10))["checked"] == 0
    assert not SlaEvent.objects.exists()


def test_no_policy_means_no_clock(make_ticket: Callable[..., Ticket]) -> None:
    make_calendar()
    ticket = make_ticket(now=at(11, 23, 10))
    assert ticket.sla_policy is None and ticket.due_at == NO_DUE and ticket.next_sla_check_at is None
