"""Applying a macro to one ticket: queries and p50/p95/p99 (issue 23's figure). A five-step macro
(reply with variables, note, priority with an SLA re-target, tags, status) on a fresh ticket each run."""

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.roles import Role
from tests.bench.timing import percentiles
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tests.tickets.factories import SlaPolicyFactory
from tickets import services
from tickets.models import Macro, MacroAction, Priority, Status

pytestmark = [pytest.mark.bench, pytest.mark.django_db]
RUNS = 100
Kind = MacroAction.Kind


def test_macro_apply_bench(report: Any) -> None:
    team = TeamFactory.create()
    agent = AgentProfileFactory.create(user__roles=(Role.AGENT,)).user
    agent.agent_profile.teams.add(team)
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    SlaPolicyFactory.create(priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=480)
    SlaPolicyFactory.create(priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=240)
    macro = Macro.objects.create(title="催发货")
    steps: list[dict[str, Any]] = [
        {"kind": Kind.REPLY, "text": "{{ customer.name }} 您好，{{ ticket.number }} 已为您催促。"},  # noqa: RUF001
        {"kind": Kind.NOTE, "text": "已联系仓库"},
        {"kind": Kind.PRIORITY, "priority": Priority.URGENT},
        {"kind": Kind.ADD_TAGS, "tags": ["催发货"]},
        {"kind": Kind.STATUS, "status": Status.PENDING},
    ]
    for position, step in enumerate(steps):
        MacroAction.objects.create(macro=macro, position=position, **step)
    tickets = [services.ticket_create(customer=customer, subject=f"没发货 {n}", body="三天了", team=team)
               for n in range(RUNS + 1)]
    services.macro_apply(macro=macro, ticket=tickets[0], actor=agent)  # warm caches
    samples, queries = [], []
    for ticket in tickets[1:]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            services.macro_apply(macro=macro, ticket=ticket, actor=agent)
            samples.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    report("macro_apply", steps=len(steps), runs=RUNS, queries=max(queries), **percentiles(samples))
