"""Macros: preview with variables filled, apply every step through the ticket services in one transaction,
refusal as a whole, who may use which macro, article links, admin validation, keyboard use in a browser."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from profiles.models import Team, User
from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.clients import logged_in as login
from tests.factories import AgentProfileFactory, TeamFactory
from tests.knowledge.factories import ArticleFactory
from tests.tickets.factories import SlaPolicyFactory
from tickets import macro_articles, selectors, services
from tickets import search as ticket_search
from tickets.models import Macro, MacroAction, Priority, Status, Ticket, TicketMessage

pytestmark = pytest.mark.django_db
Kind = MacroAction.Kind


def make_macro(title: str, *steps: dict[str, Any], **fields: Any) -> Macro:
    macro = Macro.objects.create(title=title, **fields)
    for position, step in enumerate(steps):
        MacroAction.objects.create(macro=macro, position=position, **step)
    return macro


@pytest.fixture
def ticket(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket(order_number="DD20261120001", tags=["物流"])


@pytest.fixture
def agent(make_agent: Callable[..., User]) -> User:
    return make_agent()


def test_apply_runs_every_step_through_the_services(ticket: Ticket, agent: User) -> None:
    SlaPolicyFactory.create(priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=240)
    macro = make_macro(
        "催发货",
        {"kind": Kind.REPLY, "text": "{{ customer.name }} 您好，订单 {{ order.number }} 已为您催促。"},  # noqa: RUF001
        {"kind": Kind.NOTE, "text": "已联系仓库"},
        {"kind": Kind.PRIORITY, "priority": Priority.URGENT},
        {"kind": Kind.ADD_TAGS, "tags": ["催发货", "物流"]},
        {"kind": Kind.REMOVE_TAGS, "tags": ["物流"]},
        {"kind": Kind.STATUS, "status": Status.PENDING},
        {"kind": Kind.AGENT, "agent": agent},
    )
    done = services.macro_apply(macro=macro, ticket=ticket, actor=agent)
    done.refresh_from_db()
    assert done.status == Status.PENDING and done.priority == Priority.URGENT
    assert done.tags == ["催发货"] and done.assignee_id == agent.pk
    assert done.sla_policy is not None and done.sla_policy.priority == Priority.URGENT
    messages = list(TicketMessage.objects.filter(ticket=ticket).order_by("pk").values_list("kind", "body"))
    assert messages[-2:] == [
        (TicketMessage.Kind.REPLY, f"{ticket.customer} 您好，订单 DD20261120001 已为您催促。"),  # noqa: RUF001
        (TicketMessage.Kind.NOTE, "已联系仓库"),
    ]
    reasons = set(done.history.values_list("history_change_reason", flat=True))
    assert "properties" in reasons
    macro.refresh_from_db()
    assert macro.usage_count == 1 and macro.last_used_at is not None
    # Tags are searchable at once: the search document was refreshed with the ticket.
    assert [hit.ticket.pk for hit in services_search(agent, "催发货")] == [ticket.pk]


# Five steps, each through its ticket service, on a ticket locked once: 46 queries before the lock was held
# (each step re-read the locked row, twice for a status move, and each SLA step re-read its calendar).
MACRO_APPLY_QUERIES = 40


def test_apply_locks_the_ticket_once(make_ticket: Callable[..., Ticket], agent: User) -> None:
    SlaPolicyFactory.create(priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=480)
    SlaPolicyFactory.create(priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=240)
    macro = make_macro(
        "催发货",
        {"kind": Kind.REPLY, "text": "{{ customer.name }} 您好，{{ ticket.number }} 已为您催促。"},  # noqa: RUF001
        {"kind": Kind.NOTE, "text": "已联系仓库"},
        {"kind": Kind.PRIORITY, "priority": Priority.URGENT},
        {"kind": Kind.ADD_TAGS, "tags": ["催发货"]},
        {"kind": Kind.STATUS, "status": Status.PENDING},
    )
    services.macro_apply(macro=macro, ticket=make_ticket(), actor=agent)  # warm the shared caches
    ticket = Ticket.objects.get(pk=make_ticket().pk)
    with CaptureQueriesContext(connection) as captured:
        services.macro_apply(macro=macro, ticket=ticket, actor=agent)
    locks = [query for query in captured.captured_queries
             if query["sql"].startswith('SELECT "tickets_ticket"') and "FOR UPDATE" in query["sql"]]
    assert len(locks) == 1
    assert len(captured.captured_queries) <= MACRO_APPLY_QUERIES
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.tags) == (Status.PENDING, Priority.URGENT, ["催发货"])
    assert ticket.sla_paused_at is not None and ticket.first_responded_at is not None
    assert ticket.sla_policy is not None and ticket.sla_policy.priority == Priority.URGENT


def services_search(user: User, text: str) -> list[Any]:
    return selectors.search_page(user, ticket_search.parse(text)).hits


def test_a_refused_step_leaves_the_ticket_as_it_was(ticket: Ticket, agent: User) -> None:
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
    before = TicketMessage.objects.filter(ticket=ticket).count()
    # Solved → pending is not a transition the workflow allows; the reply before it must not stay.
    macro = make_macro("错误宏", {"kind": Kind.REPLY, "text": "您好"}, {"kind": Kind.ADD_TAGS, "tags": ["x"]},
                       {"kind": Kind.STATUS, "status": Status.PENDING})
    with pytest.raises(services.MacroRefused) as refused:
        services.macro_apply(macro=macro, ticket=ticket, actor=agent)
    assert "错误宏" in refused.value.message and str(Kind.STATUS.label) in refused.value.message
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.tags == ["物流"]
    assert TicketMessage.objects.filter(ticket=ticket).count() == before
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_unresolved_variables_show_in_preview_and_are_refused(make_ticket: Callable[..., Ticket],
                                                             agent: User) -> None:
    ticket = make_ticket()  # no order number
    before = TicketMessage.objects.filter(ticket=ticket).count()
    macro = make_macro("订单", {"kind": Kind.REPLY, "text": "订单 {{ order.number }}，{{ nobody.knows }}"})  # noqa: RUF001
    plan = services.macro_plan(macro=macro, ticket=ticket, actor=agent)
    assert len(plan.problems) == 2 and "{{ order.number }}" in plan.problems[0]
    html = login(agent).get(f"/desk/tickets/{ticket.pk}/macros/preview/?macro={macro.pk}").content.decode()
    assert "{{ order.number }}" in html and 'id="macro-apply"' not in html
    response = login(agent).post(f"/desk/tickets/{ticket.pk}/macros/apply/", {"macro": macro.pk})
    assert response.status_code == 400
    assert 'id="macro-errors"' in response.content.decode()
    assert TicketMessage.objects.filter(ticket=ticket).count() == before


def test_preview_fragment_and_apply_from_the_ticket_page(ticket: Ticket, agent: User) -> None:
    macro = make_macro("紧急", {"kind": Kind.PRIORITY, "priority": Priority.HIGH},
                       {"kind": Kind.NOTE, "text": "{{ agent.name }} 接手"})
    client = login(agent)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'id="macro-picker"' in page and "紧急" in page
    fragment = client.get(f"/desk/tickets/{ticket.pk}/macros/preview/?macro={macro.pk}",
                          HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and f"{agent} 接手" in fragment and 'id="macro-apply"' in fragment
    full = client.get(f"/desk/tickets/{ticket.pk}/macros/preview/?macro={macro.pk}").content.decode()
    assert "<html" in full and 'id="macro-apply"' in full
    response = client.post(f"/desk/tickets/{ticket.pk}/macros/apply/", {"macro": macro.pk})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.HIGH
    assert client.get(f"/desk/tickets/{ticket.pk}/macros/preview/").status_code == 404
    assert client.get(f"/desk/tickets/{ticket.pk}/macros/preview/?macro=abc").status_code == 404


def test_who_may_use_which_macro(ticket: Ticket, agent: User, make_agent: Callable[..., User], team: Team) -> None:
    colleague = make_agent()
    outsider = make_agent(teams=[TeamFactory.create()])
    shared = make_macro("共享", {"kind": Kind.NOTE, "text": "a"})
    mine = make_macro("我的", {"kind": Kind.NOTE, "text": "b"}, owner=agent)
    team_only = make_macro("本组", {"kind": Kind.NOTE, "text": "c"}, team=team)
    make_macro("停用", {"kind": Kind.NOTE, "text": "d"}, active=False)
    # The default automations' shared macros are listed too; they are not this test's.
    defaults = set(Macro.objects.filter(automations__isnull=False))
    assert set(selectors.macros_for(agent)) - defaults == {mine, team_only, shared}
    assert set(selectors.macros_for(colleague)) - defaults == {team_only, shared}
    assert set(selectors.macros_for(outsider)) - defaults == {shared}
    response = login(colleague).post(f"/desk/tickets/{ticket.pk}/macros/apply/", {"macro": mine.pk})
    assert response.status_code == 400
    assert login(colleague).get(f"/desk/tickets/{ticket.pk}/macros/preview/?macro={mine.pk}").status_code == 404
    with pytest.raises(services.NotAllowed):
        services.macro_apply(macro=team_only, ticket=ticket, actor=outsider)
    assert not TicketMessage.objects.filter(ticket=ticket, body="b").exists()


def test_article_link_goes_out_with_the_reply(ticket: Ticket, agent: User) -> None:
    article = ArticleFactory.create(slug="refund-time", title_zh="退款多久到账", title_en="When refunds arrive")
    draft = ArticleFactory.create(status="draft")
    macro = make_macro("退款说明", {"kind": Kind.ARTICLE, "article_id": article.pk},
                       {"kind": Kind.REPLY, "text": "请参阅："}, language="en")  # noqa: RUF001
    services.macro_apply(macro=macro, ticket=ticket, actor=agent)
    reply = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.REPLY).latest("pk")
    assert reply.body == "请参阅：\n\nWhen refunds arrive: /help/articles/refund-time/"  # noqa: RUF001
    unpublished = make_macro("草稿", {"kind": Kind.REPLY, "text": "见"}, {"kind": Kind.ARTICLE, "article_id": draft.pk})
    assert services.macro_plan(macro=unpublished, ticket=ticket, actor=agent).problems
    alone = make_macro("单链接", {"kind": Kind.ARTICLE, "article_id": article.pk})
    assert services.macro_plan(macro=alone, ticket=ticket, actor=agent).problems
    assert macro_articles.resolve([article.pk, draft.pk], "zh-hans") == {
        article.pk: macro_articles.LinkedArticle("退款多久到账", "/help/articles/refund-time/")}


def test_admin_refuses_an_article_without_a_reply_and_shows_usage(make_user: Callable[..., User]) -> None:
    article = ArticleFactory.create()
    client = login(make_user("supervisor"))
    form = {
        "title": "链接", "language": "zh-hans", "active": "on",
        "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0", "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000", "actions-0-position": "0", "actions-0-kind": "article",
        "actions-0-article_id": str(article.pk), "actions-0-tags": "",
    }
    refused = client.post("/admin/tickets/macro/add/", form)
    assert refused.status_code == 200 and not Macro.objects.filter(title="链接").exists()
    form.update({"actions-TOTAL_FORMS": "2", "actions-1-position": "1", "actions-1-kind": "reply",
                 "actions-1-text": "请看", "actions-1-tags": ""})
    assert client.post("/admin/tickets/macro/add/", form).status_code == 302
    macro = Macro.objects.get(title="链接")
    assert [action.kind for action in macro.actions.all()] == ["article", "reply"]
    Macro.objects.filter(pk=macro.pk).update(usage_count=7)
    assert ">7<" in client.get("/admin/tickets/macro/").content.decode()


def test_preview_query_count_does_not_grow_with_steps(ticket: Ticket, agent: User,
                                                      django_assert_max_num_queries: Any) -> None:
    client = login(agent)
    small = make_macro("小", {"kind": Kind.NOTE, "text": "a"})
    url = f"/desk/tickets/{ticket.pk}/macros/preview/?macro="
    client.get(url + str(small.pk))
    with django_assert_max_num_queries(30) as few:
        client.get(url + str(small.pk))
    big = make_macro("大", *[{"kind": Kind.NOTE, "text": f"{{{{ customer.name }}}} {n}"} for n in range(10)],
                     {"kind": Kind.TEAM, "team": TeamFactory.create()}, {"kind": Kind.AGENT, "agent": agent})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url + str(big.pk)).status_code == 200


@pytest.fixture
def macro_scene(transactional_db: None, make_user: Callable[..., User]) -> tuple[int, str]:
    team = TeamFactory.create()
    agent = AgentProfileFactory.create(user__roles=(Role.AGENT,)).user
    agent.agent_profile.teams.add(team)
    ticket = services.ticket_create(customer=make_user("customer"), subject="没收到货", body="在哪", team=team)
    make_macro("发票说明", {"kind": Kind.NOTE, "text": "发票"})
    make_macro("催促物流", {"kind": Kind.NOTE, "text": "已催促物流"}, {"kind": Kind.PRIORITY, "priority": "high"})
    client = Client()
    client.force_login(agent)
    return ticket.pk, client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.browser
def test_keyboard_m_search_preview_apply(macro_scene: tuple[int, str], asgi_live_server: str,
                                         chromium_page: Any) -> None:
    ticket_id, cookie = macro_scene
    host = asgi_live_server.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": host,
                                        "path": "/"}])
    chromium_page.goto(f"{asgi_live_server}/desk/tickets/{ticket_id}/")
    chromium_page.locator("body").press("m")
    assert chromium_page.evaluate("document.activeElement.id") == "macro-search"
    chromium_page.keyboard.type("物流")
    chromium_page.locator("#macro-plan").wait_for()
    assert "已催促物流" in chromium_page.locator("#macro-plan").inner_text()
    chromium_page.screenshot(path=str(ARTIFACTS / "macro-preview.png"), full_page=True)
    chromium_page.locator("#macro-apply").click()
    chromium_page.wait_for_url(f"**/desk/tickets/{ticket_id}/")
    assert "已催促物流" in chromium_page.locator("#thread").inner_text()
    assert chromium_page.locator(".tk-priority--high").count() == 1
