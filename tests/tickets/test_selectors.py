from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from core import config_cache
from profiles.models import Team, User
from tests.factories import TeamFactory
from tests.tickets.factories import CategoryFactory, SlaPolicyFactory
from tickets import selectors, services
from tickets.models import TeamSettings, Ticket
from tickets.selectors import QueueFilters, QueueView


@pytest.fixture(autouse=True)
def _manual_team(team: Team) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.MANUAL)


def test_views_and_filters(team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket]) -> None:
    SlaPolicyFactory.create(priority="high", first_response_minutes=30)
    agent = make_agent()
    now = timezone.now()
    mine = make_ticket(tags=["物流"], channel="phone")
    services.ticket_assign(ticket=mine, assignee=agent, actor=agent)
    unassigned = make_ticket(priority="high", now=now - timedelta(days=30))
    other_team = make_ticket(team=TeamFactory.create())

    def ids(view: QueueView, **filters: str) -> list[int]:
        return [t.pk for t in selectors.queue(agent, view, filters=QueueFilters(**filters), now=now).tickets]

    assert ids(QueueView.MINE) == [mine.pk]
    assert ids(QueueView.TEAM) == [unassigned.pk, mine.pk]  # the one with a due time first
    assert ids(QueueView.UNASSIGNED) == [unassigned.pk]
    assert ids(QueueView.BREACHED) == [unassigned.pk]
    assert ids(QueueView.DUE_SOON) == []
    assert ids(QueueView.TEAM, tag="物流") == [mine.pk]
    assert ids(QueueView.TEAM, channel="phone", priority="normal", status="new") == [mine.pk]
    assert other_team.pk not in ids(QueueView.TEAM)
    assert selectors.queue_counts(agent, now=now) == {
        "mine": "1", "team": "2", "unassigned": "1", "breached": "1", "due_soon": "0"}


def test_keyset_pages_cover_everything_once(make_agent: Callable[..., User],
                                            make_ticket: Callable[..., Ticket]) -> None:
    SlaPolicyFactory.create(priority="normal")
    agent = make_agent()
    now = timezone.now()
    created = [make_ticket(now=now - timedelta(minutes=i % 3)) for i in range(7)]
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        page = selectors.queue(agent, QueueView.TEAM, cursor=cursor, limit=3, now=now)
        seen += [t.pk for t in page.tickets]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(t.pk for t in created) and len(seen) == 7
    assert selectors.queue(agent, QueueView.TEAM, cursor="garbage!", now=now).tickets  # bad cursor → first page


def test_counts_are_capped(make_agent: Callable[..., User], make_ticket: Callable[..., Ticket]) -> None:
    agent = make_agent()
    for _ in range(4):
        make_ticket()
    assert selectors.queue_counts(agent, cap=3)["team"] == "3+"


def test_queue_query_count_does_not_grow(make_agent: Callable[..., User], make_ticket: Callable[..., Ticket],
                                         django_assert_max_num_queries: Any) -> None:
    agent = make_agent()
    make_ticket()
    selectors.queue(agent, QueueView.TEAM)  # a running desk's configuration cache is warm
    with django_assert_max_num_queries(3) as few:
        page = selectors.queue(agent, QueueView.TEAM)
        [(t.customer.pk, t.team_id, getattr(t.assignee, "pk", None), t.category) for t in page.tickets]
    for _ in range(10):
        make_ticket()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = selectors.queue(agent, QueueView.TEAM)
        [(t.customer.pk, t.team_id, getattr(t.assignee, "pk", None), t.category) for t in page.tickets]
    assert len(page.tickets) == 11


def test_detail_query_count_is_constant(make_agent: Callable[..., User], make_ticket: Callable[..., Ticket],
                                        customer: User, django_assert_max_num_queries: Any) -> None:
    agent = make_agent()
    ticket = make_ticket()
    for i in range(12):
        services.ticket_reply(ticket=ticket, author=agent if i % 2 else customer, body=f"消息{i}")
    services.ticket_add_note(ticket=ticket, author=agent, body="内部备注")
    with django_assert_max_num_queries(12):
        detail = selectors.ticket_detail(agent, ticket.pk, limit=5)
        [(m.author.pk, list(m.files)) for m in detail.messages]
    assert [m.body for m in detail.messages][-1] == "内部备注" and len(detail.messages) == 5
    older = selectors.ticket_detail(agent, ticket.pk, before_id=detail.older_cursor, limit=100)
    assert len(older.messages) == 14 - 5 and older.older_cursor is None
    as_customer = selectors.ticket_detail(customer, ticket.pk, limit=100)
    assert all(not m.is_note for m in as_customer.messages)


def test_access_other_team_is_404(make_agent: Callable[..., User], make_ticket: Callable[..., Ticket],
                                  make_user: Callable[..., User], customer: User) -> None:
    outsider = make_agent(teams=[TeamFactory.create()])
    ticket = make_ticket()
    with pytest.raises(Http404):
        selectors.ticket_for_user(outsider, ticket.pk)
    with pytest.raises(Http404):
        selectors.ticket_for_user(make_user("customer"), ticket.pk)
    assert selectors.ticket_for_user(customer, ticket.pk) == ticket
    assert selectors.ticket_for_user(make_user("supervisor"), ticket.pk) == ticket
    assert selectors.ticket_for_user(make_agent(), ticket.pk) == ticket
    assert selectors.customer_tickets(customer) == [ticket]


def test_queue_rows_carry_team_category_and_policy_from_the_cache_and_see_a_rename(
        make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], team: Team,
        django_assert_num_queries: Any) -> None:
    category = CategoryFactory.create(name="物流")
    policy = SlaPolicyFactory.create(name="标准")
    agent = make_agent()
    ticket = make_ticket(category=category)
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy)
    selectors.queue(agent, QueueView.TEAM)  # warm
    with django_assert_num_queries(2) as queries:  # the agent's teams and the page
        row = selectors.queue(agent, QueueView.TEAM).tickets[0]
        assert (str(row.team), str(row.category), str(row.sla_policy)) == (team.name, "物流", str(policy))
    # Joined, these three tables cost more planning time than the whole query takes to run.
    page_sql = queries.captured_queries[-1]["sql"]
    assert not {'"profiles_team"', '"tickets_category"', '"tickets_slapolicy"'} & set(page_sql.split())
    category.name = "物流与配送"
    category.save()
    row = selectors.queue(agent, QueueView.TEAM).tickets[0]
    assert str(row.category) == "物流与配送"


def test_the_ticket_page_names_its_parent_and_merge_target_in_the_related_query(
        make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], django_assert_num_queries: Any) -> None:
    agent = make_agent()
    parent, target = make_ticket(), make_ticket()
    child = services.ticket_create_child(parent=parent, actor=agent, subject="问仓库", body="请核实库存")
    Ticket.objects.filter(pk=child.pk).update(merged_into=target)
    selectors.ticket_detail(agent, child.pk)  # warm
    plain = make_ticket()
    with django_assert_num_queries(6) as plain_queries:
        selectors.ticket_detail(agent, plain.pk)
    with django_assert_num_queries(len(plain_queries.captured_queries)) as queries:
        detail = selectors.ticket_detail(agent, child.pk)
        assert (detail.ticket.parent, detail.ticket.merged_into) == (parent, target)
        assert (getattr(detail.ticket.parent, "number", None), getattr(detail.ticket.merged_into, "number", None)) == (
            parent.number, target.number)
    # The ticket's own query joins the ticket table once: each more instance of it multiplies planning time.
    ticket_sql = next(query["sql"] for query in queries.captured_queries if " LIMIT 1" in query["sql"])
    assert ticket_sql.count('"tickets_ticket" T') == 0 and '"profiles_team"."name"' not in ticket_sql
    assert selectors.ticket_detail(agent, parent.pk).children == [child]


def test_the_view_counts_come_in_one_statement_and_match_each_views_own_count(
        make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], django_assert_num_queries: Any) -> None:
    agent = make_agent()
    for _ in range(4):
        make_ticket()
    services.ticket_assign(ticket=make_ticket(), assignee=agent, actor=agent)
    with config_cache.run_scope():  # as in a request: the agent's teams are read once
        selectors.queue_counts(agent)
        with django_assert_num_queries(1):
            counts = selectors.queue_counts(agent, cap=3)
    assert counts == {str(view): selectors.queue_count(agent, view, cap=3) for view in QueueView}
    assert counts["team"] == "3+" and counts["mine"] == "1"
    loner = make_agent(teams=[])  # views filtered by no team at all: Django compiles no query for them
    assert selectors.queue_counts(loner) == {str(view): selectors.queue_count(loner, view) for view in QueueView}


def test_the_ticket_pages_reads_are_compiled_once_and_still_follow_each_sight(
        make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], make_user: Callable[..., User],
        customer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.models.sql.compiler import SQLCompiler

    agent = make_agent()
    ticket, other = make_ticket(), make_ticket()
    for i in range(6):
        services.ticket_reply(ticket=ticket, author=agent if i % 2 else customer, body=f"消息{i}")
    services.ticket_add_note(ticket=ticket, author=agent, body="内部备注")
    ticket.linked.add(other)
    supervisor = make_user("supervisor")
    for user in (agent, customer, supervisor):  # warm: each sight compiles its statements once
        selectors.ticket_detail(user, ticket.pk, limit=3)
        selectors.ticket_detail(user, ticket.pk, before_id=10**9, limit=3)
    agent.load_role_groups()  # as the desk's views do: roles read once per request
    compiled: list[Any] = []
    original = SQLCompiler.as_sql

    def compiling(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", compiling)
    detail = selectors.ticket_detail(agent, ticket.pk, limit=3)
    assert compiled == []
    assert [m.body for m in detail.messages] == ["消息4", "消息5", "内部备注"] and detail.linked == [other]
    assert getattr(detail.linked[0], "is_linked", False) and detail.children == []
    # A customer pages back through replies only; the sights of others see nothing of it.
    newest = selectors.ticket_detail(customer, ticket.pk, limit=3)
    older = selectors.ticket_detail(customer, ticket.pk, before_id=newest.older_cursor, limit=3)
    assert [m.body for m in newest.messages] == ["消息3", "消息4", "消息5"]
    assert [m.body for m in older.messages] == ["消息0", "消息1", "消息2"]
    assert all(not m.is_note for m in newest.messages + older.messages)
    assert selectors.ticket_detail(supervisor, ticket.pk).ticket == ticket
    for outsider in (make_agent(teams=[TeamFactory.create()]), make_user("customer")):
        with pytest.raises(Http404):
            selectors.ticket_detail(outsider, ticket.pk)


def test_the_page_gives_each_message_its_own_files_and_no_other_tickets(
        make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], customer: User,
        django_assert_num_queries: Any) -> None:
    from tickets.models import TicketAttachment, TicketMessage

    agent = make_agent()
    ticket, other = make_ticket(), make_ticket()
    messages = []
    for i in range(4):  # the two tickets' messages interleave, so the page's id range spans the other's too
        messages.append(TicketMessage.objects.create(ticket=ticket, author=customer, from_customer=True,
                                                     body=f"消息{i}"))
        between = TicketMessage.objects.create(ticket=other, author=customer, from_customer=True, body="别的工单")
        TicketAttachment.objects.create(message=between, file="x/other.png", filename="other.png",
                                        content_type="image/png", size=1, sha256="0" * 64)
    for message, count in zip(messages, (2, 0, 1, 3), strict=True):  # the first is older than the page
        for n in range(count):
            TicketAttachment.objects.create(message=message, file=f"x/{message.pk}-{n}.png",
                                            filename=f"{message.body}-{n}", content_type="image/png", size=n,
                                            sha256="0" * 64)
    selectors.ticket_detail(agent, ticket.pk, limit=3)  # warm
    agent.load_role_groups()  # as the desk's views do: roles read once per request
    with django_assert_num_queries(5):  # ticket, messages, their files, related tickets, calls
        detail = selectors.ticket_detail(agent, ticket.pk, limit=3)
        files = {m.body: [a.filename for a in m.files] for m in detail.messages}
    assert files == {"消息1": [], "消息2": ["消息2-0"], "消息3": ["消息3-0", "消息3-1", "消息3-2"]}
