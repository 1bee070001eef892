"""One SLA clock: the ticket page, the queue, the API and the sweep agree, across a weekend and a 调休 day.

The clock is frozen the project's way (`timezone.now` patched; every service also takes `now`).
Golden Week 2025: Saturday 27 September is an ordinary day off, Sunday 28 September a make-up
workday (调休) with Monday's hours, 1-8 October are holidays.
"""

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from profiles.models import User
from tests.clients import logged_in
from tests.tickets.factories import SlaPolicyFactory
from tickets import selectors, services, sla
from tickets.models import SlaEvent, SlaPolicy, Ticket

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def policy(db: None) -> SlaPolicy:
    return SlaPolicyFactory.create(priority="normal", first_response_minutes=60, next_response_minutes=120,
                                   resolution_minutes=540)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def page_clocks(agent: User, ticket: Ticket) -> dict[str, tuple[str, str]]:
    """target → (state, text) as the ticket page shows them."""
    html = logged_in(agent).get(reverse("desk_tickets:ticket", args=[ticket.pk])).content.decode()
    found = re.findall(r'data-target="(\w+)"><time [^>]*data-state="(\w+)"[^>]*>([^<]*)</time>', html)
    return {target: (state, text) for target, state, text in found}


def in_breached_view(agent: User, ticket: Ticket) -> bool:
    html = logged_in(agent).get(reverse("desk_tickets:queue") + "?view=breached").content.decode()
    return f'data-ticket-id="{ticket.pk}"' in html


def queue_clock(agent: User, ticket: Ticket) -> tuple[str, str]:
    html = logged_in(agent).get(reverse("desk_tickets:queue") + "?view=team").content.decode()
    row = html[html.index(f'data-ticket-id="{ticket.pk}"'):]
    state, text = re.search(r'<time [^>]*data-state="(\w+)"[^>]*>([^<]*)</time>', row).groups()  # type: ignore[union-attr]
    return state, text


def reports_breached(now: datetime) -> int:
    return sum(row["breached"] for row in selectors.sla_risk_by_team(now=now))


def api_clocks(agent: User, ticket: Ticket) -> dict[str, dict[str, object]]:
    client = APIClient()
    client.force_authenticate(agent)
    body = client.get(f"/api/v1/tickets/{ticket.number}/").json()
    return {clock["target"]: clock for clock in body["sla"]}


def test_page_api_queue_and_sweep_agree_across_a_weekend_and_a_make_up_day(
    policy: SlaPolicy, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
    frozen: Callable[[datetime], None],
) -> None:
    agent = make_agent()
    # Friday 26 Sept 17:30: 30 open minutes left that day, then Saturday off, then the 调休 Sunday.
    ticket = make_ticket(now=at(9, 26, 17, 30))
    assert ticket.first_response_due_at == at(9, 28, 9, 30)
    assert ticket.resolution_due_at == at(9, 28, 17, 30)

    # Saturday noon: wall-clock time says 18.5 hours passed; business time says none did.
    frozen(at(9, 27, 12))
    assert services.sla_sweep(now=at(9, 27, 12))["checked"] == 0
    shown = page_clocks(agent, ticket)
    assert shown["first_response"] == ("running", "剩余 30分钟")
    assert shown["resolution"] == ("running", "剩余 8小时30分钟")
    api = api_clocks(agent, ticket)
    assert (api["first_response"]["state"], api["first_response"]["remaining_seconds"]) == ("running", 30 * 60)
    assert api["resolution"]["remaining_seconds"] == 510 * 60
    assert queue_clock(agent, ticket) == ("running", "剩余 30分钟") and not in_breached_view(agent, ticket)
    assert reports_breached(at(9, 27, 12)) == 0

    # Answered on the make-up Sunday at 9:20, ten minutes before the first-response target.
    services.ticket_reply(ticket=ticket, author=agent, body="您好，已为您催促仓库发货。", now=at(9, 28, 9, 20))  # noqa: RUF001

    # Monday 10:00: the first response was met; the resolution target passed Sunday 17:30.
    now = at(9, 29, 10)
    frozen(now)
    swept = services.sla_sweep(now=now)
    announced = set(SlaEvent.objects.filter(ticket=ticket, kind=SlaEvent.Kind.BREACH).values_list("target",
                                                                                                   flat=True))
    assert announced == {"resolution"} and swept["breaches"] == 1
    ticket.refresh_from_db()
    shown = page_clocks(agent, ticket)
    assert shown["first_response"] == ("met", "已达成")  # was "已超时" when the page counted wall-clock time
    # Overdue by Sunday 17:30-18:00 and Monday 9:00-10:00: 1 h 30 min of business time.
    assert shown["resolution"] == ("breached", "已超时 1小时30分钟")
    api = api_clocks(agent, ticket)
    assert api["first_response"]["state"] == "met" and api["first_response"]["overdue_seconds"] == 0
    assert (api["resolution"]["state"], api["resolution"]["overdue_seconds"]) == ("breached", 90 * 60)
    assert queue_clock(agent, ticket) == ("breached", "已超时 1小时30分钟") and in_breached_view(agent, ticket)
    assert reports_breached(now) == 1  # the live board's count, read by reports
    # The one function the three read from says the same.
    by_target = {clock.target: clock for clock in sla.clocks(ticket, now=now)}
    assert by_target["first_response"].state == sla.ClockState.MET
    assert by_target["resolution"].seconds == -90 * 60


def test_a_late_answer_stays_breached_by_how_late_it_was(
    policy: SlaPolicy, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
    frozen: Callable[[datetime], None],
) -> None:
    agent = make_agent()
    ticket = make_ticket(now=at(9, 26, 17, 30))  # first response due Sunday 9:30
    services.ticket_reply(ticket=ticket, author=agent, body="抱歉久等了", now=at(9, 28, 10, 15))
    ticket.refresh_from_db()
    frozen(at(9, 28, 11))
    first = {clock.target: clock for clock in sla.clocks(ticket, now=at(9, 28, 11))}["first_response"]
    assert (first.state, first.live, first.overdue.total_seconds()) == (sla.ClockState.BREACHED, False, 45 * 60)
    assert page_clocks(agent, ticket)["first_response"] == ("breached", "超时45分钟完成")


def test_a_paused_ticket_keeps_what_it_had_left(
    policy: SlaPolicy, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
    frozen: Callable[[datetime], None],
) -> None:
    agent = make_agent()
    ticket = make_ticket(now=at(9, 26, 17, 30))
    services.ticket_reply(ticket=ticket, author=agent, body="请提供订单截图", now=at(9, 26, 17, 40))
    ticket = services.ticket_transition(ticket=ticket, target="pending", actor=agent, now=at(9, 26, 17, 45))
    frozen(at(9, 29, 15))  # days later, still waiting on the customer
    resolution = {clock.target: clock for clock in sla.clocks(ticket, now=at(9, 29, 15))}["resolution"]
    assert resolution.state == sla.ClockState.PAUSED and resolution.remaining.total_seconds() == (540 - 15) * 60
    assert services.sla_sweep(now=at(9, 29, 15))["breaches"] == 0
    assert page_clocks(agent, ticket)["resolution"] == ("paused", "已暂停，剩余 8小时45分钟")  # noqa: RUF001
