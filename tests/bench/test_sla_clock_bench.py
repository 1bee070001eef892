"""The SLA clock's cost per ticket: the sweep reads only states, pages also the business-time figures."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.business_hours import Calendar, add_business_time
from tests.bench.timing import percentiles, timed
from tickets import sla
from tickets.models import SlaPolicy, Ticket

pytestmark = pytest.mark.bench

TICKETS = 2_000


def test_sla_clock_per_ticket(report: Any) -> None:
    calendar = Calendar(weekly={day: [(time(9), time(18))] for day in range(5)})
    policy = SlaPolicy(first_response_minutes=60, next_response_minutes=120, resolution_minutes=540, calendar_id=1)
    start = datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday evening
    tickets = []
    for n in range(TICKETS):
        created = start + timedelta(minutes=n)
        tickets.append(Ticket(status="open", sla_policy=policy,
                              first_response_due_at=add_business_time(created, timedelta(minutes=60), calendar),
                              resolution_due_at=add_business_time(created, timedelta(minutes=540), calendar)))
    now = start + timedelta(days=3, hours=17)  # the Monday after, 2 live targets each

    def sweep_pass() -> None:
        for ticket in tickets:
            sla.evaluate(ticket, now=now, calendar=calendar, warning_percent=80)

    def page_figures() -> None:
        for ticket in tickets:
            for clock in sla.clocks(ticket, now=now, calendar=calendar, warning_percent=80):
                clock.seconds  # noqa: B018  (measures the business time, what a page shows)

    sweep = percentiles([ms / TICKETS * 1000 for ms in timed(5, sweep_pass)])
    page = percentiles([ms / TICKETS * 1000 for ms in timed(5, page_figures)])
    report("sla_clock_per_ticket_us", tickets=TICKETS, sweep_evaluate_p50_us=sweep["p50_ms"],
           page_figures_p50_us=page["p50_ms"])
