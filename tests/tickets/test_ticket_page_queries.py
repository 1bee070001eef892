"""The desk's ticket page in at most 15 queries, with one message or 500; agents and teams are suggested by
name as one types instead of being listed in full."""

import re
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from django.test import Client

from profiles.models import Team, User
from profiles.roles import Role
from tests.factories import TeamFactory, UserFactory
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    CannedResponse,
    DeskSettings,
    SlaPolicy,
    Ticket,
    TicketMessage,
)

DETAIL_QUERIES = 15


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ticket(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket()


@pytest.fixture
def ticket_with_sla(make_ticket: Callable[..., Ticket]) -> Ticket:
    calendar = BusinessCalendar.objects.create(name="全周", use_statutory_holidays=False)
    BusinessHours.objects.bulk_create(BusinessHours(calendar=calendar, weekday=day, opens_at=time(0),
                                                    closes_at=time(23, 59)) for day in range(7))
    SlaPolicy.objects.create(name="普通", priority="normal", first_response_minutes=60, next_response_minutes=120,
                             resolution_minutes=1440, calendar=calendar)
    DeskSettings.load()
    CannedResponse.objects.create(title="问候", body="您好 {{ customer.name }}")
    return make_ticket()


@pytest.mark.parametrize("messages", [1, 500])
def test_ticket_page_in_fifteen_queries(messages: int, ticket_with_sla: Ticket, customer: User,
                                        make_agent: Callable[..., User], django_assert_max_num_queries: Any) -> None:
    agent = make_agent()
    TicketMessage.objects.bulk_create(
        TicketMessage(ticket=ticket_with_sla, author=agent if n % 2 else customer, from_customer=not n % 2,
                      kind="note" if n % 25 == 0 else "reply", body=f"第{n}条消息")
        for n in range(messages - 1)
    )
    client = login(agent)
    client.get(f"/desk/tickets/{ticket_with_sla.pk}/")  # warms the configuration cache
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(f"/desk/tickets/{ticket_with_sla.pk}/")
    assert response.status_code == 200
    assert response.context["clocks"]  # the SLA clocks are on the page


def test_page_lists_no_agents_or_teams_and_suggests_them_by_name(
    ticket: Ticket, make_agent: Callable[..., User], team: Team
) -> None:
    agent = make_agent(user__display_name="李娜")
    bystander = make_agent(user__display_name="王芳")
    TeamFactory.create(name="发票组")
    client = login(agent)
    html = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'data-lookup="agent"' in html and 'data-lookup="team"' in html
    assert "<option" not in html.split('id="assign-form"')[1].split("</form>")[0]
    assert bystander.username not in html
    found = client.get("/desk/tickets/lookup/agent/", {"q": "王"}).json()["results"]
    assert found == [{"value": bystander.username, "label": f"王芳 ({bystander.username})"}]
    assert client.get("/desk/tickets/lookup/team/", {"q": "发票"}).json()["results"] == [
        {"value": "发票组", "label": "发票组"}]
    assert client.get("/desk/tickets/lookup/store/").status_code == 404


def test_assign_and_transfer_by_typed_name(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    other = make_agent()
    client = login(agent)
    assert client.post(f"/desk/tickets/{ticket.pk}/assign/", {"assignee": other.username}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee_id == other.pk
    refused = client.post(f"/desk/tickets/{ticket.pk}/assign/", {"assignee": "nobody-by-that-name"})
    assert refused.status_code == 400
    assert "assignee" in refused.context["assign_form"].errors
    elsewhere = TeamFactory.create(name="售后组")
    response = client.post(f"/desk/tickets/{ticket.pk}/transfer/", {"to_team": "售后组", "reason": "售后问题"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.team_id == elsewhere.pk


def test_lookup_suggests_at_most_twenty(make_agent: Callable[..., User]) -> None:
    agents = [make_agent() for _ in range(21)]
    found = login(agents[0]).get("/desk/tickets/lookup/agent/").json()["results"]
    assert len(found) == 20



def test_no_query_of_the_ticket_page_reads_every_ticket(ticket: Ticket, customer: User,
                                                         make_agent: Callable[..., User]) -> None:
    """Its query count stays fixed at any size, so only the plans show a scan that grows with the tickets."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:  # enough tickets that the planner prefers an index where one fits
        cursor.execute(
            "INSERT INTO tickets_ticket (number, customer_id, channel, source, type, priority, status, tags, region, "
            "order_number, subject, sla_paused_seconds, nudge_count, escalation_level, due_at, created_at, updated_at) "
            "SELECT 'P' || i, %s, 'web', '', 'inquiry', 'normal', 'open', '{}', '', '', 's', 0, 0, 0, now(), now(), "
            "now() FROM generate_series(1, 20000) i", [customer.pk])
        cursor.execute("ANALYZE tickets_ticket")
    Ticket.objects.filter(pk=ticket.pk).update(parent=Ticket.objects.exclude(pk=ticket.pk).order_by("pk")[0])
    ticket.linked.add(Ticket.objects.order_by("-pk")[0])
    client = login(make_agent())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 200
    scans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if query["sql"].lstrip().upper().startswith("SELECT") and "tickets_ticket" in query["sql"]:
                cursor.execute("EXPLAIN " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
                if "Seq Scan on tickets_ticket " in plan + " ":
                    scans.append(query["sql"][:300])
    assert scans == []


def test_the_queue_filtered_by_status_reads_the_status_index(customer: User) -> None:
    """The page and every view's capped count: with most open tickets in other statuses, an index without the
    status walks past them all (the breached count read 17,000 rows for 1,000 at 100,000 tickets)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticket (number, customer_id, channel, source, type, priority, status, tags, region, "
            "order_number, subject, sla_paused_seconds, nudge_count, escalation_level, due_at, created_at, updated_at) "
            "SELECT 'S' || i, %s, 'web', '', 'inquiry', 'normal', "
            "CASE WHEN i %% 100 = 0 THEN 'pending' ELSE 'new' END, "
            "'{}', '', '', 's', 0, 0, 0, now() - interval '1 day' + i * interval '1 second', now(), now() "
            "FROM generate_series(1, 20000) i", [customer.pk])
        cursor.execute("ANALYZE tickets_ticket")
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,))
    with CaptureQueriesContext(connection) as queries:
        assert login(supervisor).get("/desk/tickets/?status=pending").status_code == 200
    # The page, and the views' counts in one statement ("mine" reads the person's own tickets by assignee).
    filtered = [query["sql"] for query in queries.captured_queries
                if "tickets_ticket" in query["sql"] and "\"status\" = 'pending'" in query["sql"]]
    assert len(filtered) == 2 and filtered[1].count("COUNT(*)") == 5
    with connection.cursor() as cursor:
        for sql in filtered:
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            thrown_away = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan))
            # A small joined table (the customers' profiles, tens of rows) may well be read whole.
            assert "Seq Scan on tickets_ticket" not in plan and thrown_away < 1000, (sql[:300], plan)


def test_a_warm_ticket_page_compiles_no_statement(
        ticket: Ticket, customer: User, make_agent: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiling a statement cost the page more than running it; its reads are compiled once (core.prepared)."""
    from django.db.models.sql.compiler import SQLCompiler

    TicketMessage.objects.create(ticket=ticket, author=customer, from_customer=True, body="还有一个问题")
    client = login(make_agent())
    assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 200
    compiled: list[str] = []
    original = SQLCompiler.as_sql

    def compiling(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        compiled.append(getattr(self.query.model, "__name__", ""))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", compiling)
    assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 200
    assert compiled == []
