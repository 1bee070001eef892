"""Ticket search: Chinese word boundaries, number prefixes, the blind index, notes and teams hidden,
every write path keeping the index, the desk page, the API, the admin, and any text as a query."""

from collections.abc import Callable
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from core import customer_merge
from profiles import services as profile_services
from profiles.models import Team, User
from profiles.roles import Role
from tests.factories import CustomerProfileFactory, TeamFactory
from tickets import search, selectors, services
from tickets.models import Ticket, TicketSearch
from tickets.selectors import QueueFilters

pytestmark = pytest.mark.django_db


def found(user: User, text: str, **filters: str) -> list[int]:
    page = selectors.search_page(user, search.parse(text), filters=QueueFilters(**filters))
    return [hit.ticket.pk for hit in page.hits]


@pytest.fixture
def agent(make_agent: Callable[..., User]) -> User:
    return make_agent()


def test_a_chinese_word_finds_the_sentence_it_is_part_of(make_ticket: Callable[..., Ticket], agent: User) -> None:
    refund = make_ticket(subject="售后问题", body="我昨天申请退款了，什么时候到账？")  # noqa: RUF001
    make_ticket(subject="物流太慢", body="快递三天没动")
    assert found(agent, "退款") == [refund.pk]
    assert found(agent, "申请退款") == [refund.pk]
    # 款 is not a word of 申请退款了: a character inside a word does not match it, and finds nothing here.
    assert found(agent, "款") == []
    # Every word must match.
    assert found(agent, "退款 快递") == []


def test_ticket_number_exact_and_prefix_order_number_and_tag(make_ticket: Callable[..., Ticket],
                                                             agent: User) -> None:
    first = make_ticket(order_number="JD20261122-0042", tags=["加急"])
    second = make_ticket()
    assert found(agent, first.number) == [first.pk]
    assert found(agent, first.number.lower()) == [first.pk]
    assert set(found(agent, first.number[:9])) == {first.pk, second.pk}
    assert found(agent, "JD20261122-0042") == [first.pk]
    assert found(agent, "加急") == [first.pk]
    # Newest first.
    assert found(agent, first.number[:9]) == [second.pk, first.pk]


def test_customer_name_finds_the_ticket(make_ticket: Callable[..., Ticket], agent: User) -> None:
    profile = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__display_name="王小明")
    ticket = make_ticket(customer=profile.user)
    make_ticket()
    assert found(agent, "王小明") == [ticket.pk]


def test_rename_through_the_service_reindexes_after_commit(make_ticket: Callable[..., Ticket], agent: User,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    profile = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), external_id="shop-8",
                                            user__display_name="王小明")
    ticket = make_ticket(customer=profile.user)
    with django_capture_on_commit_callbacks(execute=True):
        profile_services.customer_upsert(external_id="shop-8", display_name="赵六")
    assert found(agent, "赵六") == [ticket.pk]
    assert found(agent, "王小明") == []


def test_exact_phone_and_email_through_the_blind_index(make_ticket: Callable[..., Ticket], agent: User,
                                                       customer: User) -> None:
    customer.phone, customer.email = "13812345678", "Zhang.Wei@example.com"
    customer.save()
    ticket = make_ticket()
    other = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__phone="13900000000").user
    make_ticket(customer=other)
    assert found(agent, "138 1234 5678") == [ticket.pk]
    assert found(agent, "+86 13812345678") == [ticket.pk]
    assert found(agent, "zhang.wei@example.com") == [ticket.pk]
    # Never plaintext: the phone is not in any search document.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticketsearch WHERE head::text LIKE '%%1381234%%'")
        assert cursor.fetchone() == (0,)
    # A customer cannot look other people up by their number.
    assert found(other, "13812345678") == []


def test_notes_are_found_by_the_desk_only(make_ticket: Callable[..., Ticket], agent: User, customer: User) -> None:
    ticket = make_ticket(subject="发票问题", body="需要开发票")
    services.ticket_add_note(ticket=ticket, author=agent, body="客户疑似黄牛，谨慎处理")  # noqa: RUF001
    services.ticket_reply(ticket=ticket, author=agent, body="您好，发票已经开具")  # noqa: RUF001
    assert found(agent, "黄牛") == [ticket.pk]
    assert found(customer, "黄牛") == []
    assert found(customer, "开具") == [ticket.pk]
    hit = selectors.search_page(customer, search.parse("发票")).hits[0]
    assert "黄牛" not in hit.snippet_html
    api = APIClient()
    api.force_authenticate(customer)
    assert api.get("/api/v1/tickets/", {"q": "黄牛"}).json()["results"] == []
    assert [row["id"] for row in api.get("/api/v1/tickets/", {"q": "开具"}).json()["results"]] == [ticket.pk]


def test_another_teams_ticket_never_appears(make_ticket: Callable[..., Ticket], agent: User, team: Team,
                                            make_user: Callable[..., User]) -> None:
    other_team = TeamFactory.create()
    mine = make_ticket(subject="屏幕碎了")
    theirs = make_ticket(subject="屏幕碎了", team=other_team)
    assert Ticket.objects.get(pk=theirs.pk).team_id == other_team.pk
    assert found(agent, "屏幕") == [mine.pk]
    assert set(found(make_user("supervisor"), "屏幕")) == {mine.pk, theirs.pk}
    stranger = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    assert found(stranger, "屏幕") == []
    api = APIClient()
    api.force_authenticate(agent)
    assert [row["id"] for row in api.get("/api/v1/tickets/", {"q": "屏幕"}).json()["results"]] == [mine.pk]


def test_search_combines_with_queue_filters(make_ticket: Callable[..., Ticket], agent: User) -> None:
    urgent = make_ticket(subject="退货地址", priority="urgent", channel="email")
    make_ticket(subject="退货地址", priority="low")
    assert found(agent, "退货", priority="urgent") == [urgent.pk]
    assert found(agent, "退货", channel="email") == [urgent.pk]
    api = APIClient()
    api.force_authenticate(agent)
    rows = api.get("/api/v1/tickets/", {"q": "退货", "priority": "urgent"}).json()["results"]
    assert [row["id"] for row in rows] == [urgent.pk]


def test_merge_moves_the_words_with_the_messages(make_ticket: Callable[..., Ticket], agent: User) -> None:
    source = make_ticket(subject="第一张", body="耳机左边没声音")
    target = make_ticket(subject="第二张", body="另一个问题")
    services.ticket_merge(source=source, target=target, actor=agent)
    assert found(agent, "耳机") == [target.pk]
    assert found(agent, "第一张") == [source.pk]


def test_a_term_matching_everything_is_paged_by_keyset(make_ticket: Callable[..., Ticket], agent: User) -> None:
    tickets = [make_ticket(subject=f"物流查询 {i}") for i in range(7)]
    seen: list[int] = []
    before = None
    while True:
        page = selectors.search_page(agent, search.parse("物流"), before=before, limit=3)
        seen += [hit.ticket.pk for hit in page.hits]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == sorted((ticket.pk for ticket in tickets), reverse=True)


def test_backfill_command_rebuilds_every_document(make_ticket: Callable[..., Ticket], agent: User) -> None:
    ticket = make_ticket(subject="充电器发热", body="充电的时候很烫")
    services.ticket_add_note(ticket=ticket, author=agent, body="已转厂家")
    TicketSearch.objects.all().delete()
    assert found(agent, "充电器") == []
    out = StringIO()
    call_command("reindex_tickets", "--batch-size", "1", stdout=out, verbosity=0)
    assert "Indexed 1 tickets." in out.getvalue()
    assert found(agent, "充电器") == [ticket.pk]
    assert found(agent, "厂家") == [ticket.pk]
    assert found(agent, "很烫") == [ticket.pk] or found(agent, "烫") == [ticket.pk]


def test_customer_merge_reindexes_the_moved_tickets(make_ticket: Callable[..., Ticket], agent: User) -> None:
    duplicate = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__display_name="旧名字").user
    kept = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__display_name="新名字").user
    ticket = make_ticket(customer=duplicate)
    for handler in customer_merge.handlers():
        handler.move(duplicate.pk, kept.pk)
    assert found(agent, "新名字") == [ticket.pk]


def test_snippets_escape_user_text_and_mark_the_words(make_ticket: Callable[..., Ticket], agent: User) -> None:
    make_ticket(subject="<script>alert(1)</script> 退款", body="前面的话。<b>退款</b>一直没到")
    hit = selectors.search_page(agent, search.parse("退款")).hits[0]
    assert "<script>" not in hit.subject_html and "&lt;script&gt;" in hit.subject_html
    assert "<mark>退款</mark>" in hit.subject_html
    assert "&lt;b&gt;<mark>退款</mark>&lt;/b&gt;" in hit.snippet_html


def test_desk_page_shows_highlighted_results_in_constant_queries(make_ticket: Callable[..., Ticket],
                                                                 agent: User) -> None:
    client = Client()
    client.force_login(agent)
    make_ticket(subject="退款进度", body="退款什么时候到")
    client.get("/desk/tickets/search/", {"q": "退款"})
    with CaptureQueriesContext(connection) as one:
        response = client.get("/desk/tickets/search/", {"q": "退款"})
    assert response.status_code == 200
    assert "<mark>退款</mark>进度" in response.content.decode()
    for i in range(8):
        make_ticket(subject=f"退款{i}", body="退款还没到", tags=["t"])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/desk/tickets/search/", {"q": "退款"})
    assert response.content.decode().count('class="tk-result"') == 9
    assert 0 < len(many) == len(one)
    # The search box is in the top bar of desk pages.
    assert 'id="desk-search"' in client.get("/desk/tickets/").content.decode()


def test_customers_do_not_get_the_search_box(client_for: Callable[[str], Client]) -> None:
    assert 'id="desk-search"' not in client_for("customer").get("/help/").content.decode()


def test_admin_search_uses_the_index(make_ticket: Callable[..., Ticket], make_user: Callable[..., User]) -> None:
    ticket = make_ticket(subject="蓝牙连不上")
    make_ticket(subject="别的事情")
    client = Client()
    client.force_login(make_user("admin"))
    response = client.get("/admin/tickets/ticket/", {"q": "蓝牙"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [ticket]


def test_api_schema_documents_q(client_for: Callable[[str], Client]) -> None:
    schema = client_for("anonymous").get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]
    assert "q" in {parameter["name"] for parameter in parameters}


BAD_INPUTS = ["", "   ", "&", "| ! : * ( )", "'退款'", '"退款"', "退款 & 发票 | !物流", "a:*", "😀🔥", "x" * 1000,
              "的 了 吗", "退款\u202e", "<script>", "%", "_", "--", "''", "\\", "((退款", "!!!!"]


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_bad_input_gives_results_or_an_empty_page(text: str, make_ticket: Callable[..., Ticket],
                                                  agent: User) -> None:
    make_ticket(subject="退款问题")
    client = Client()
    client.force_login(agent)
    assert client.get("/desk/tickets/search/", {"q": text}).status_code == 200
    api = APIClient()
    api.force_authenticate(agent)
    assert api.get("/api/v1/tickets/", {"q": text}).status_code == 200


def test_nul_in_the_query_is_an_error_naming_q(agent: User) -> None:
    # The one input guard (core/input_guard.py) refuses control characters everywhere, naming the field.
    api = APIClient()
    api.force_authenticate(agent)
    response = api.get("/api/v1/tickets/", {"q": "\x00退款"})
    assert response.status_code == 400
    assert "q" in response.json()["error"]["fields"]
    client = Client()
    client.force_login(agent)
    page = client.get("/desk/tickets/search/", {"q": "\x00退款"})
    assert page.status_code == 400 and b"q" in page.content


def test_only_stop_words_find_nothing(make_ticket: Callable[..., Ticket], agent: User) -> None:
    make_ticket(subject="我的订单")
    assert search.parse("的 了 吗").is_empty
    assert found(agent, "的 了 吗") == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_is_a_query(text: str, agent: User) -> None:
    query = search.parse(text)
    assert all(term.strip("_") and "'" not in term for term in query.terms)
    # Whatever the text, the database accepts the query (no syntax error, no NUL).
    assert isinstance(found(agent, text), list)


@pytest.mark.parametrize("walk_rows", [1, 10**6])
def test_walk_and_index_parts_find_the_same(walk_rows: int, monkeypatch: Any, make_ticket: Callable[..., Ticket],
                                            agent: User, make_user: Callable[..., User]) -> None:
    # 1: only the newest ticket is walked, the rest come from the index; 10**6: everything is walked.
    monkeypatch.setattr(search, "WALK_ROWS", walk_rows)
    other_team = TeamFactory.create()
    tickets = [make_ticket(subject=f"换货申请 {i}") for i in range(3)]
    theirs = make_ticket(subject="换货申请", team=other_team)
    services.ticket_add_note(ticket=tickets[0], author=agent, body="仓库缺货")
    assert found(agent, "换货") == [ticket.pk for ticket in reversed(tickets)]
    assert found(agent, "缺货 换货") == [tickets[0].pk]
    assert len(found(make_user("supervisor"), "换货")) == 4
    # The customer owns all four, and never finds one by the internal note.
    customer = tickets[0].customer
    assert found(customer, "换货") == [theirs.pk, *(ticket.pk for ticket in reversed(tickets))]
    assert found(customer, "缺货") == []
    # The number is no word of the document: it is matched from the ticket row, in both parts, and a note
    # naming another ticket's number still finds the note's ticket.
    assert found(agent, tickets[0].number[:9]) == [ticket.pk for ticket in reversed(tickets)]
    assert found(agent, f"换货 {tickets[1].number.lower()}") == [tickets[1].pk]
    assert found(customer, tickets[2].number) == [tickets[2].pk]
    services.ticket_add_note(ticket=tickets[0], author=agent, body=f"同 {tickets[2].number}")
    assert found(agent, tickets[2].number) == [tickets[2].pk, tickets[0].pk]
    assert found(customer, tickets[2].number) == [tickets[2].pk]


def test_api_pages_through_search_results_both_ways(make_ticket: Callable[..., Ticket], agent: User,
                                                    monkeypatch: Any) -> None:
    monkeypatch.setattr(search, "WALK_ROWS", 2)
    tickets = [make_ticket(subject=f"物流查询 {i}") for i in range(7)]
    api = APIClient()
    api.force_authenticate(agent)
    seen: list[int] = []
    url: str | None = "/api/v1/tickets/?" + urlencode({"q": "物流", "page_size": 3})
    pages = []
    while url:
        body = api.get(url).json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted((ticket.pk for ticket in tickets), reverse=True)
    back = api.get(pages[-1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[-2]["results"]]
