"""Ticket create through the help-center form, the API and the desk form (tickets/s, p50/p95/p99, queries of
the whole request and of the create itself), and the desk's ticket page with a typical and a 500-message
conversation (p50/p95/p99, queries). Routing (a rule, round robin over online agents) and SLA (a policy on a
calendar with an override) apply as in production; the configuration cache is warm, as on a running desk."""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time as clock
from typing import Any

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from profiles.models import AgentProfile, Team, User
from profiles.roles import Role
from tests.bench.timing import metered, percentiles
from tests.factories import CustomerProfileFactory, TeamFactory, UserFactory
from tickets import services
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarOverride,
    CannedResponse,
    DeskSettings,
    RoutingRule,
    SlaPolicy,
    TeamSettings,
    Ticket,
    TicketMessage,
)

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

CREATES = int(os.environ.get("CREATE_BENCH_TICKETS", "100"))  # per path; under the API's 120 writes a minute
DETAIL_RUNS = 30
LONG = 500
TYPICAL = 8


def _desk(agents: int = 10) -> tuple[Team, list[User]]:
    calendar = BusinessCalendar.objects.create(name="全周", use_statutory_holidays=True, is_default=True)
    BusinessHours.objects.bulk_create(BusinessHours(calendar=calendar, weekday=day, opens_at=clock(8),
                                                    closes_at=clock(22)) for day in range(7))
    CalendarOverride.objects.create(calendar=calendar, date="2026-12-31", is_open=True, opens_at=clock(9),
                                    closes_at=clock(12))
    for priority in ("low", "normal", "high", "urgent"):
        SlaPolicy.objects.create(name=priority, priority=priority, first_response_minutes=60,
                                 next_response_minutes=120, resolution_minutes=1440, calendar=calendar)
    team = TeamFactory.create()
    RoutingRule.objects.create(name="全部", team=team)
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.ROUND_ROBIN)
    DeskSettings.load()
    users = []
    for _ in range(agents):
        user = UserFactory.create(roles=(Role.AGENT,))
        profile = AgentProfile.objects.create(user=user, capacity=100, presence=AgentProfile.Presence.ONLINE)
        profile.teams.add(team)
        users.append(user)
    return team, users


class QueryCounter:
    """Counts the statements run inside (the test client's request_started signal empties connection.queries,
    so CaptureQueriesContext reads zero around a request)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def consume_flash(client: Client) -> None:
    """A browser follows the redirect, whose page shows and drops the "created" message; without that the
    messages cookie would grow with every create and each request re-sign all of it."""
    client.cookies.pop(CookieStorage.cookie_name, None)


def _measure(name: str, report: Any, create: Callable[[int], None]) -> None:
    """Time CREATES calls of `create`, after one warm-up, with the queries of one request and of its create."""
    create(0)
    create_queries: list[int] = []
    original = services.ticket_create

    def counted(**kwargs: Any) -> Ticket:
        with counting() as queries:
            ticket = original(**kwargs)
        create_queries.append(queries.count)
        return ticket

    services.ticket_create = counted
    try:
        with counting() as request_queries:
            create(1)
    finally:
        services.ticket_create = original
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    batch = metered(CREATES, create, backend_pid, first=2)
    # CPU per create, of this process and of its database backend: on a shared machine the wall-clock rate moves
    # with everyone else's load.
    db_cpu_ms = batch["db_cpu_s"] / CREATES * 1000 if batch["db_cpu_s"] is not None else None
    report(name, tickets=CREATES, per_second=round(CREATES / batch["wall_s"], 1),
           cpu_ms_per_create=round(batch["cpu_s"] / CREATES * 1000, 2),
           db_cpu_ms_per_create=None if db_cpu_ms is None else round(db_cpu_ms, 2),
           request_queries=request_queries.count, create_queries=create_queries[0] if create_queries else None,
           load_average=round(os.getloadavg()[0], 2), **percentiles(batch["samples_ms"]))


def test_create_paths(report: Any, serving_process: None) -> None:
    _desk()
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    body = "我的快递三天没有更新物流了，麻烦帮忙查一下。"  # noqa: RUF001

    form = Client()
    form.force_login(customer)

    def through_form(n: int) -> None:
        response = form.post("/help/tickets/new/", {"subject": f"表单工单{n}", "description": body})
        assert response.status_code == 302, response.content
        consume_flash(form)

    integrator = UserFactory.create(roles=(Role.INTEGRATOR,))
    api = APIClient()
    api.force_authenticate(integrator)

    def through_api(n: int) -> None:
        response = api.post("/api/v1/tickets/", {"subject": f"接口工单{n}", "body": body, "customer_id": customer.pk,
                                                 "channel": "api"}, format="json")
        assert response.status_code == 201, response.content

    agent = UserFactory.create(roles=(Role.AGENT,))
    AgentProfile.objects.create(user=agent)
    desk = Client()
    desk.force_login(agent)

    def through_desk(n: int) -> None:
        response = desk.post("/desk/tickets/new/", {"customer": customer.username, "channel": "phone",
                                                    "subject": f"电话工单{n}", "body": body})
        assert response.status_code == 302, response.content
        consume_flash(desk)

    _measure("tickets_create_form", report, through_form)
    _measure("tickets_create_api", report, through_api)
    _measure("tickets_create_desk", report, through_desk)


def test_ticket_page(report: Any) -> None:
    team, agents = _desk()
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    CannedResponse.objects.create(title="问候", body="您好 {{ customer.name }}")
    client = Client()
    client.force_login(agents[0])
    for label, count in (("typical", TYPICAL), ("500_messages", LONG)):
        ticket = services.ticket_create(customer=customer, subject=f"工单{label}", body="开始", team=team)
        TicketMessage.objects.bulk_create(
            TicketMessage(ticket=ticket, author=agents[0] if n % 2 else customer, from_customer=not n % 2,
                          kind="note" if n % 25 == 0 else "reply", body=f"第{n}条消息，内容较长" * 5)  # noqa: RUF001
            for n in range(count - 1)
        )
        url = f"/desk/tickets/{ticket.pk}/"
        assert client.get(url).status_code == 200
        with counting() as queries:
            client.get(url)
        samples = []
        for _ in range(DETAIL_RUNS):
            began = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - began) * 1000)
        report(f"tickets_detail_{label}", messages=count, queries=queries.count, **percentiles(samples))
