"""Ticket create stays cheap on every path (form, API, desk, mail intake): at most 6 queries for the create
itself, the same for every ticket, with routing and SLA applied; cached configuration is dropped by writes;
one live push per group per create."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core import channel_push
from core.models import WebhookEndpoint
from profiles.models import Team, User
from tests.tickets.mails import MAILBOX, raw
from tickets import services
from tickets.channels.email import intake
from tickets.channels.email.intake import email_receive
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarOverride,
    DeskSettings,
    Mailbox,
    RoutingRule,
    SlaPolicy,
    TeamSettings,
    Ticket,
)

# The customer's profile (unless the caller read it with the customer), the routing lock, the agents with their
# loads and the round-robin pointer moved (one statement), then one for the number, the ticket, its history row,
# its message and its search document (services.opening); a savepoint around them.
CREATE_QUERIES = 6


@pytest.fixture
def desk_setup(team: Team, make_agent: Callable[..., User]) -> list[User]:
    """What production has: a 7-day calendar with an override, a policy per priority, a routing rule,
    round-robin among online agents, and a webhook endpoint listening to ticket events."""
    calendar = BusinessCalendar.objects.create(name="全周", use_statutory_holidays=False, is_default=True)
    BusinessHours.objects.bulk_create(BusinessHours(calendar=calendar, weekday=day, opens_at=time(0),
                                                    closes_at=time(23, 59)) for day in range(7))
    CalendarOverride.objects.create(calendar=calendar, date="2026-10-01")
    for priority in ("low", "normal", "high", "urgent"):
        SlaPolicy.objects.create(name=priority, priority=priority, first_response_minutes=60,
                                 next_response_minutes=120, resolution_minutes=1440, calendar=calendar)
    RoutingRule.objects.create(name="全部", team=team)
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.ROUND_ROBIN)
    DeskSettings.load()
    # Listening to another event: its lookup on every ticket event is served from the cache.
    WebhookEndpoint.objects.create(name="crm", url="http://127.0.0.1:9/hook", secret="s",
                                   events=["ticket.survey_submitted"])
    return [make_agent(capacity=50), make_agent(capacity=50)]


@contextmanager
def create_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The queries of each ticket create made inside: `ticket_create` from a view or the API, `ticket_open` (in the
    caller's transaction) from intake."""
    counts: list[int] = []

    def counting(create: Callable[..., Any]) -> Callable[..., Any]:
        def counted(**kwargs: Any) -> Any:
            with CaptureQueriesContext(connection) as queries:
                created = create(**kwargs)
            counts.append(len(queries))
            return created

        return counted

    monkeypatch.setattr(services, "ticket_create", counting(services.ticket_create))
    monkeypatch.setattr(intake, "ticket_open", counting(intake.ticket_open))
    yield counts


def _routed_with_sla(ticket: Ticket) -> None:
    assert ticket.team_id is not None and ticket.assignee_id is not None
    assert ticket.sla_policy_id is not None and ticket.first_response_due_at is not None


def test_service_create_is_six_queries_routed_and_timed(
    desk_setup: list[User], customer: User, django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_create(customer=customer, subject="预热", body="读一次配置")
    tickets = []
    for n in range(3):
        # The after-commit handlers (webhooks, live pushes) run inside the request too: counted here.
        with django_assert_max_num_queries(CREATE_QUERIES), django_capture_on_commit_callbacks(execute=True):
            tickets.append(services.ticket_create(customer=customer, subject=f"第{n}张", body="物流没有更新"))
    for ticket in tickets:
        _routed_with_sla(ticket)
    # Round robin alternates between the two online agents.
    assert {ticket.assignee_id for ticket in tickets} == {agent.pk for agent in desk_setup}


@pytest.mark.parametrize("path", ["form", "api", "desk", "mail"])
def test_every_create_path_costs_the_same_few_queries(
    path: str, desk_setup: list[User], customer: User, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = make_user("agent")
    client = APIClient()
    Mailbox.objects.create(address=MAILBOX)

    def create(n: int) -> None:
        subject, body = f"第{n}张工单", "我的快递三天没有更新物流了"
        if path == "form":
            client.force_login(customer)
            response = client.post("/help/tickets/new/", {"subject": subject, "description": body})
            assert response.status_code == 302, response.content
        elif path == "api":
            client.force_authenticate(customer)
            response = client.post("/api/v1/tickets/", {"subject": subject, "body": body}, format="json")
            assert response.status_code == 201, response.content
        elif path == "desk":
            client.force_login(agent)
            response = client.post("/desk/tickets/new/", {"customer": customer.username, "channel": "phone",
                                                           "subject": subject, "body": body})
            assert response.status_code == 302, response.content
        else:
            email_receive(raw=raw(sender=f"客户{n} <buyer{n}@example.com>", subject=subject, body=body))

    create(0)
    with create_queries(monkeypatch) as counts:
        for n in range(1, 4):
            create(n)
    assert len(counts) == 3 and max(counts) <= CREATE_QUERIES
    assert len(set(counts)) == 1, counts  # constant: nothing grows with the tickets already there
    for ticket in Ticket.objects.order_by("-pk")[:3]:
        _routed_with_sla(ticket)


def test_a_configuration_write_is_seen_by_the_next_create(
    desk_setup: list[User], customer: User, team: Team, make_agent: Callable[..., User],
) -> None:
    first = services.ticket_create(customer=customer, subject="一", body="一")
    policy = SlaPolicy.objects.get(priority="normal")
    policy.first_response_minutes = 10
    policy.save()
    second = services.ticket_create(customer=customer, subject="二", body="二")
    assert second.first_response_due_at and first.first_response_due_at
    assert second.first_response_due_at < first.first_response_due_at
    other = Team.objects.create(name="售后组")
    rule = RoutingRule.objects.get()
    rule.team = other
    rule.save()
    assert services.ticket_create(customer=customer, subject="三", body="三", channel="chat").team_id == other.pk
    rule.delete()
    settings = TeamSettings.objects.get(team=team)
    settings.strategy = TeamSettings.Strategy.MANUAL
    settings.save()
    assert services.ticket_create(customer=customer, subject="四", body="四", team=team).assignee_id is None
    # An override closes tomorrow's calendar day: the next create counts around it.
    calendar = BusinessCalendar.objects.get()
    BusinessHours.objects.filter(calendar=calendar).delete()
    BusinessHours.objects.create(calendar=calendar, weekday=0, opens_at=time(9), closes_at=time(10))
    later = services.ticket_create(customer=customer, subject="五", body="五")
    assert later.first_response_due_at is not None
    assert later.first_response_due_at > second.first_response_due_at


def test_a_create_pushes_once_per_group_after_commit(
    desk_setup: list[User], customer: User, team: Team, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    batches: list[list[tuple[str, dict[str, Any]]]] = []
    monkeypatch.setattr(channel_push, "send_to_groups", lambda sends: batches.append(list(sends)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = services.ticket_create(customer=customer, subject="推送", body="推送一次")
    assert batches == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert len(batches) == 1
    groups = [group for group, _message in batches[0]]
    assert sorted(groups) == sorted({"tickets.all", f"tickets.team.{team.pk}", f"tickets.agent.{ticket.assignee_id}"})
    assert {message["event"] for _group, message in batches[0]} == {"ticket.created"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_never_overfill_an_agent(customer: User, team: Team,
                                                    make_agent: Callable[..., User]) -> None:
    """Routing picks under a per-team lock: two creates at once never both take an agent's last free slot."""
    agents = [make_agent(capacity=2), make_agent(capacity=2)]
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.SKILL_LOAD)
    barrier = threading.Barrier(6)

    def create(n: int) -> None:
        try:
            barrier.wait()
            services.ticket_create(customer=customer, subject=f"并发{n}", body="同时到达", team=team)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loads = [Ticket.objects.filter(assignee=agent).count() for agent in agents]
    assert loads == [2, 2]
    assert Ticket.objects.filter(team=team, assignee__isnull=True).count() == 2


def test_the_help_center_form_reads_the_customers_profile_with_the_user(
    desk_setup: list[User], customer: User, client: Any
) -> None:
    """The session's user comes with their profile in one statement (profiles.permissions' get_user), and the form
    hands it to routing instead of reading it again."""
    client.force_login(customer)
    client.post("/help/tickets/new/", {"subject": "热身", "description": "第一张"})
    with CaptureQueriesContext(connection) as request:
        response = client.post("/help/tickets/new/", {"subject": "快递", "description": "我的快递三天没有更新物流了"})
    assert response.status_code == 302
    statements = [query["sql"] for query in request.captured_queries]
    profile_reads = [sql for sql in statements if sql.startswith("SELECT") and '"profiles_customerprofile"' in sql]
    assert len(profile_reads) == 1 and '"profiles_user"' in profile_reads[0]
    # The session comes from the cache: user + profile, savepoint, the 3 of the create, release.
    assert len(statements) <= 6
    assert not [sql for sql in statements if '"django_session"' in sql]
    _routed_with_sla(Ticket.objects.latest("pk"))
