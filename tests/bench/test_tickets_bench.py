"""Tickets figures at BENCH_SCALE tickets (default 100,000; 1,000,000 supported), bulk-loaded with
generate_series: five queue views, ticket detail with 500 messages, ticket_create throughput with
routing and SLA, the SLA sweep with 1,000 due, and the EXPLAIN plan of each hot query."""

import os
import time
from collections.abc import Callable
from datetime import time as clock
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from profiles.models import AgentProfile, Team, User
from profiles.roles import Role
from tests.bench.database import largest_tables, rss_max_mb
from tests.bench.timing import percentiles, timed
from tests.factories import CustomerProfileFactory, TeamFactory, UserFactory
from tickets import selectors, services
from tickets.models import BusinessCalendar, BusinessHours, SlaPolicy, Ticket, TicketMessage
from tickets.selectors import QueueView

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
TEAMS = 10
AGENTS_PER_TEAM = 5
CUSTOMERS = 1000
DUE = 1000
MESSAGES = 500
CREATES = 200
# Under the integrators' default throttle (120 writes a minute), so every call is served.
API_CREATES = 100
DEEP_PAGE = 1000





def _queue_call(agent: User, view: QueueView, cursor: str | None, now: Any) -> Callable[[], Any]:
    return lambda: selectors.queue(agent, view, cursor=cursor, now=now)


def _plan(queryset: Any) -> list[str]:
    return [line for line in queryset.explain(analyze=True).splitlines() if "Index" in line or "Scan" in line][:6]


def _setup() -> tuple[list[Team], list[User], list[User], SlaPolicy]:
    calendar = BusinessCalendar.objects.create(name="bench 7x24", use_statutory_holidays=False)
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=day, opens_at=clock(0), closes_at=clock(23, 59, 59))
        for day in range(7)
    )
    policy = SlaPolicy.objects.create(name="bench", priority="normal", first_response_minutes=60,
                                      next_response_minutes=120, resolution_minutes=1440, calendar=calendar)
    teams = [TeamFactory.create() for _ in range(TEAMS)]
    agents = []
    for team in teams:
        for _ in range(AGENTS_PER_TEAM):
            user = UserFactory.create(roles=(Role.AGENT,))
            profile = AgentProfile.objects.create(user=user, capacity=100, presence=AgentProfile.Presence.ONLINE)
            profile.teams.add(team)
            agents.append(user)
    users = User.objects.bulk_create(User(username=f"benchc{i}", display_name=f"客户{i}") for i in range(CUSTOMERS))
    return teams, agents, users, policy


def _bulk_load(teams: list[Team], agents: list[User], customers: list[User], policy: SlaPolicy) -> float:
    """SCALE tickets: 60 % open (half assigned), the rest solved/closed; DUE of them due for the sweep."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (
                number, customer_id, channel, source, type, priority, status, tags, region, team_id,
                assignee_id, order_number, subject, sla_policy_id, first_response_due_at, resolution_due_at,
                due_at, next_sla_check_at, sla_paused_seconds, nudge_count, escalation_level,
                created_at, updated_at)
            SELECT
                'B' || lpad(i::text, 10, '0'),
                (%(customers)s)[1 + i %% cardinality(%(customers)s)],
                (ARRAY['web','chat','email','phone','wechat','app'])[1 + i %% 6],
                'bench', 'inquiry',
                (ARRAY['low','normal','normal','high','urgent'])[1 + i %% 5],
                CASE WHEN i %% 10 < 6 THEN (ARRAY['new','open','open','pending','on_hold'])[1 + i %% 5]
                     ELSE (ARRAY['solved','closed'])[1 + i %% 2] END,
                CASE WHEN i %% 7 = 0 THEN ARRAY['物流'] ELSE ARRAY[]::varchar[] END,
                '', (%(teams)s)[1 + i %% cardinality(%(teams)s)],
                -- Assignees must belong to the ticket's team for the "mine" view to mean something. Chosen here
                -- rather than cleared by a later UPDATE, whose dead rows would count in the storage figures.
                CASE WHEN i %% 2 = 0 AND EXISTS (
                    SELECT 1 FROM profiles_agentprofile p
                    JOIN profiles_agentprofile_teams pt ON pt.agentprofile_id = p.id
                    WHERE p.user_id = (%(agents)s)[1 + (i / 2) %% cardinality(%(agents)s)]
                      AND pt.team_id = (%(teams)s)[1 + i %% cardinality(%(teams)s)])
                THEN (%(agents)s)[1 + (i / 2) %% cardinality(%(agents)s)] END,
                '', '订单问题 ' || i, %(policy)s,
                now() + ((i %% 4320) - 720) * interval '1 minute',
                now() + ((i %% 4320) + 1440) * interval '1 minute',
                now() + ((i %% 4320) - 720) * interval '1 minute',
                CASE WHEN i %% 10 < 6 AND i %% 5 < 3 THEN now() + interval '30 days' END,
                0, 0, 0, now() - (i %% 1000) * interval '1 minute', now()
            FROM generate_series(1, %(scale)s) AS i
            """,
            {"customers": [c.pk for c in customers], "teams": [t.pk for t in teams],
             "agents": [a.pk for a in agents], "policy": policy.pk, "scale": SCALE},
        )
        # DUE open tickets become due for the sweep: 90 % in the warning band, 10 % breached.
        cursor.execute(
            """
            UPDATE tickets_ticket SET next_sla_check_at = now() - interval '1 minute',
                first_response_due_at = CASE WHEN id %% 10 = 0 THEN now() - interval '1 minute'
                                             ELSE now() + interval '5 minutes' END
            WHERE id IN (SELECT id FROM tickets_ticket WHERE next_sla_check_at IS NOT NULL ORDER BY id LIMIT %s)
            """,
            [DUE],
        )
        cursor.execute("ANALYZE tickets_ticket")
    return time.perf_counter() - started


def _report_deep_page(report: Any, now: Any) -> None:
    """Page 1,000 of a supervisor's all-teams queue (or the last page at a smaller scale) costs what page 2 does:
    the cursor is a keyset position, never an OFFSET. The OFFSET here only finds the position to start from."""
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,))
    ordered = selectors.queue_queryset(supervisor, QueueView.TEAM, now=now)
    depth = min(DEEP_PAGE - 1, ordered.order_by().count() // selectors.PAGE_SIZE - 1) * selectors.PAGE_SIZE
    cursor = selectors.QUEUE_KEYSET.cursor_for(ordered[depth - 1])
    samples = timed(30, _queue_call(supervisor, QueueView.TEAM, cursor, now))
    with CaptureQueriesContext(connection) as queries:
        page = selectors.queue(supervisor, QueueView.TEAM, cursor=cursor, now=now)
    report("tickets_queue_deep_page", tickets=SCALE, page=depth // selectors.PAGE_SIZE + 1, rows=len(page.tickets),
           queries=len(queries), **percentiles(samples))


def test_tickets_at_scale(report: Any) -> None:
    teams, agents, customers, policy = _setup()
    load_s = _bulk_load(teams, agents, customers, policy)
    agent = agents[0]
    now = timezone.now()
    report("tickets_bulk_load", rows=SCALE, seconds=round(load_s, 2),
           open=Ticket.objects.filter(status__in=["new", "open", "pending", "on_hold"]).count())

    views: dict[str, Any] = {}
    for view in QueueView:
        page = selectors.queue(agent, view, now=now)
        first = timed(30, _queue_call(agent, view, None, now))
        nxt = timed(30, _queue_call(agent, view, page.next_cursor, now)) if page.next_cursor else []
        with CaptureQueriesContext(connection) as queries:
            selectors.queue(agent, view, now=now)
        views[str(view)] = {"rows": len(page.tickets), "queries": len(queries), "first_page": percentiles(first),
                            "next_page": percentiles(nxt) if nxt else None,
                            "plan": _plan(selectors.queue_queryset(agent, view, now=now)[:26])}
    for name, figures in views.items():
        report(f"tickets_queue_{name}", tickets=SCALE, **figures)
    _report_deep_page(report, now)
    counts = timed(20, lambda: selectors.queue_counts(agent, now=now))
    report("tickets_queue_counts", tickets=SCALE, counts=selectors.queue_counts(agent, now=now),
           **percentiles(counts))

    customer = CustomerProfileFactory.create().user
    long_ticket = services.ticket_create(customer=customer, subject="长对话", body="开始", team=teams[0])
    TicketMessage.objects.bulk_create(
        TicketMessage(ticket=long_ticket, author=agent if i % 2 else customer, from_customer=not i % 2,
                      kind="note" if i % 25 == 0 else "reply", body=f"第{i}条消息，内容较长" * 5)  # noqa: RUF001
        for i in range(MESSAGES - 1)
    )
    with CaptureQueriesContext(connection) as detail_queries:
        detail = selectors.ticket_detail(agent, long_ticket.pk)
        for message in detail.messages:
            (message.author.pk, list(message.attachments.all()))
    detail_ms = timed(30, lambda: [
        (m.author.pk, list(m.attachments.all())) for m in selectors.ticket_detail(agent, long_ticket.pk).messages])
    report("tickets_detail_500_messages", messages=MESSAGES, page=len(detail.messages),
           queries=len(detail_queries), **percentiles(detail_ms))

    started = time.perf_counter()
    for i in range(CREATES):
        services.ticket_create(customer=customer, subject=f"新工单{i}", body="我的快递三天没有更新物流了",
                               channel="chat", team=teams[i % TEAMS])
    create_s = time.perf_counter() - started
    report("tickets_create_with_routing_and_sla", tickets=CREATES, per_second=round(CREATES / create_s, 1),
           ms_each=round(create_s / CREATES * 1000, 2))

    # Through the API as an integrator would: authentication, validation, throttling, routing, SLA.
    integrator = UserFactory.create(roles=(Role.INTEGRATOR,))
    api = APIClient()
    api.force_authenticate(integrator)
    started = time.perf_counter()
    for i in range(API_CREATES):
        response = api.post("/api/v1/tickets/", {"subject": f"接口工单{i}", "body": "我的快递三天没有更新物流了",
                                                 "customer_id": customer.pk, "channel": "api"}, format="json")
        assert response.status_code == 201, response.content
    api_s = time.perf_counter() - started
    report("tickets_create_through_api", tickets=API_CREATES, per_second=round(API_CREATES / api_s, 1),
           ms_each=round(api_s / API_CREATES * 1000, 2))

    sweep_now = timezone.now()
    sweep_plan = _plan(Ticket.objects.filter(next_sla_check_at__lte=sweep_now).order_by("next_sla_check_at")[:500])
    started = time.perf_counter()
    result = services.sla_sweep(now=sweep_now)
    sweep_s = time.perf_counter() - started
    again = time.perf_counter()
    services.sla_sweep(now=sweep_now)
    idle_s = time.perf_counter() - again
    report("tickets_sla_sweep", tickets=SCALE, due=DUE, seconds=round(sweep_s, 3), idle_seconds=round(idle_s, 4),
           plan=sweep_plan, **result)
    assert result["checked"] == DUE
    report("tickets_database", tickets=SCALE, largest_tables=largest_tables(), rss_max_mb=rss_max_mb())
