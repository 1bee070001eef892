"""The workbench pages: access across roles, queue views and paging, ticket page actions, query counts."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from profiles.models import Team, User
from tests.clients import logged_in as login
from tests.factories import TeamFactory
from tickets import services
from tickets.models import CannedResponse, Status, Ticket, TicketMessage

pytestmark = pytest.mark.django_db
QUEUE = "/desk/tickets/"



@pytest.fixture
def ticket(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket(order_number="DD20261120001", tags=["物流"])


@pytest.mark.parametrize(
    ("role", "queue_status", "ticket_status"),
    [("anonymous", 302, 302), ("customer", 403, 403), ("merchant_staff", 403, 403), ("agent", 200, 200),
     ("supervisor", 200, 200), ("qa", 200, 200), ("admin", 200, 200)],
)
def test_access_by_role(role: str, queue_status: int, ticket_status: int, client_for: Callable[[str], Client],
                        ticket: Ticket) -> None:
    # The plain agent here has no team, so the ticket is another team's: a read-only summary.
    client = client_for(role)
    assert client.get(QUEUE).status_code == queue_status
    page = client.get(f"{QUEUE}{ticket.pk}/")
    assert page.status_code == ticket_status
    if role == "agent":
        assert 'id="ticket-summary"' in page.content.decode() and 'id="reply-form"' not in page.content.decode()


def test_agent_of_the_team_sees_the_ticket(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    response = login(make_agent()).get(f"{QUEUE}{ticket.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.number in html and "DD20261120001" in html and 'id="reply-form"' in html


def test_queue_views_counts_and_filters(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    # Made before any agent is online, so routing leaves them unassigned.
    first = make_ticket(subject="包裹破损", tags=["破损"])
    make_ticket(subject="发票问题", channel="email")
    agent = make_agent()
    services.ticket_assign(ticket=first, assignee=agent, actor=agent)
    client = login(agent)
    team = client.get(QUEUE).content.decode()
    assert "包裹破损" in team and "发票问题" in team
    mine = client.get(f"{QUEUE}?view=mine").content.decode()
    assert "包裹破损" in mine and "发票问题" not in mine
    assert 'data-count="mine">1<' in mine and 'data-count="team">2<' in mine
    filtered = client.get(f"{QUEUE}?channel=email").content.decode()
    assert "发票问题" in filtered and "包裹破损" not in filtered
    tagged = client.get(f"{QUEUE}?tag=破损").content.decode()
    assert "包裹破损" in tagged and "发票问题" not in tagged
    bad = client.get(f"{QUEUE}?channel=pigeon")
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert client.get(f"{QUEUE}?view=everything").status_code == 404


def test_queue_pages_by_keyset(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    tickets = [make_ticket(subject=f"问题{n:02d}") for n in range(27)]
    client = login(make_agent())
    html = client.get(QUEUE).content.decode()
    assert html.count('class="tk-row') == 25 and 'id="queue-more"' in html
    cursor = html.split("after=")[1].split('"')[0].replace("&amp;", "&")
    more = client.get(f"{QUEUE}?view=team&after={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert more.count('class="tk-row') == 2 and "<html" not in more
    shown = {t.number for t in tickets if t.number in html or t.number in more}
    assert len(shown) == 27


def test_queue_and_ticket_query_counts_are_constant(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    agent = make_agent()
    client = login(agent)
    ticket = make_ticket()
    CannedResponse.objects.create(title="问候", body="您好 {{ customer.name }}")
    # Warm both pages first: caches (feature flags, permissions) would otherwise count once.
    client.get(QUEUE)
    client.get(f"{QUEUE}{ticket.pk}/")
    with django_assert_max_num_queries(30) as few:
        client.get(QUEUE)
    # The ticket page also reads the customer's orders and requests (4 queries, whatever their number).
    with django_assert_max_num_queries(35) as detail_few:
        client.get(f"{QUEUE}{ticket.pk}/")
    for n in range(15):
        make_ticket(subject=f"更多{n}")
        services.ticket_reply(ticket=ticket, author=agent, body=f"回复{n}")
        services.ticket_add_note(ticket=ticket, author=agent, body=f"备注{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(QUEUE)
    with django_assert_max_num_queries(len(detail_few.captured_queries)):
        assert client.get(f"{QUEUE}{ticket.pk}/").status_code == 200


def test_reply_and_note_are_shown_distinctly(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    client = login(make_agent())
    assert client.post(f"{QUEUE}{ticket.pk}/reply/", {"kind": "reply", "body": "已为您催促发货"}).status_code == 302
    assert client.post(f"{QUEUE}{ticket.pk}/reply/", {"kind": "note", "body": "仓库说明天发"}).status_code == 302
    html = client.get(f"{QUEUE}{ticket.pk}/").content.decode()
    assert "tk-msg--note" in html and "tk-msg--reply tk-msg--desk" in html
    empty = client.post(f"{QUEUE}{ticket.pk}/reply/", {"kind": "reply", "body": ""})
    assert empty.status_code == 400 and "errorlist" in empty.content.decode()
    assert TicketMessage.objects.filter(ticket=ticket).count() == 3


def test_canned_response_rendered_with_variables(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    CannedResponse.objects.create(title="催发货", body="{{ customer.name }} 您好，订单 {{ order.number }} 已催促。")  # noqa: RUF001
    html = login(make_agent()).get(f"{QUEUE}{ticket.pk}/").content.decode()
    data = json.loads(html.split('id="canned-data" type="application/json">')[1].split("</script>")[0])
    assert data == [{"title": "催发货", "shortcut": "", "text": f"{ticket.customer} 您好，订单 DD20261120001 已催促。"}]  # noqa: RUF001


def test_status_change_and_refusal_as_form_errors(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    client = login(make_agent())
    assert client.post(f"{QUEUE}{ticket.pk}/status/", {"status": "solved"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED
    refused = client.post(f"{QUEUE}{ticket.pk}/status/", {"status": "pending"})
    assert refused.status_code == 400 and "errorlist" in refused.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED


def test_assign_offline_agent_shows_error_unless_forced(
    ticket: Ticket, make_agent: Callable[..., User], supervisor: User
) -> None:
    offline = make_agent(online=False)
    refused = login(make_agent()).post(f"{QUEUE}{ticket.pk}/assign/", {"assignee": offline.pk})
    assert refused.status_code == 400 and "errorlist" in refused.content.decode()
    forced = login(supervisor).post(f"{QUEUE}{ticket.pk}/assign/", {"assignee": offline.pk, "force": "on"})
    assert forced.status_code == 302 and Ticket.objects.get(pk=ticket.pk).assignee == offline


def test_transfer_escalate_subticket_merge(
    ticket: Ticket, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], team: Team
) -> None:
    agent = make_agent()
    client = login(agent)
    other_team = TeamFactory.create(name="物流组")
    both = client.post(f"{QUEUE}{ticket.pk}/transfer/", {"to_team": other_team.pk, "to_agent": agent.pk,
                                                          "reason": "x"})
    assert both.status_code == 400
    assert client.post(f"{QUEUE}{ticket.pk}/escalate/", {"note": "客户投诉"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 1
    assert client.post(f"{QUEUE}{ticket.pk}/subticket/", {"subject": "请仓库核实", "body": "核实出库记录"}
                       ).status_code == 302
    assert Ticket.objects.filter(parent=ticket).count() == 1
    duplicate = make_ticket(subject="同一个问题")
    missing = client.post(f"{QUEUE}{duplicate.pk}/merge/", {"target": "T19990101999"})
    assert missing.status_code == 400
    merged = client.post(f"{QUEUE}{duplicate.pk}/merge/", {"target": ticket.number})
    assert merged.status_code == 302 and merged["Location"].endswith(f"/{ticket.pk}/")
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == ticket.pk
    transferred = client.post(f"{QUEUE}{ticket.pk}/transfer/", {"to_team": other_team.pk, "reason": "物流问题"},
                              follow=True)
    assert Ticket.objects.get(pk=ticket.pk).team == other_team
    # Out of the agent's queues now: where it went, not a 404, and nothing to act on.
    html = transferred.content.decode()
    assert transferred.status_code == 200 and 'id="ticket-summary"' in html and "物流组" in html
    assert "已转交给团队 物流组。" in html and 'id="reply-form"' not in html
    assert client.post(f"{QUEUE}{ticket.pk}/reply/", {"kind": "reply", "body": "x"}).status_code == 404


def test_take_next_and_pick(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    first = make_ticket()
    agent, rival = make_agent(), make_agent()
    response = login(agent).post(f"{QUEUE}next/")
    assert response.status_code == 302 and response["Location"].endswith(f"/{first.pk}/")
    taken = login(rival).post(f"{QUEUE}{first.pk}/pick/")
    assert taken.status_code == 302 and taken["Location"].endswith(QUEUE)
    empty = login(rival).post(f"{QUEUE}next/")
    assert empty["Location"].endswith(QUEUE)


def test_customer_pii_masked_for_agents(ticket: Ticket, make_agent: Callable[..., User], supervisor: User) -> None:
    ticket.customer.phone = "13812345678"
    ticket.customer.save()
    assert "138****5678" in login(make_agent()).get(f"{QUEUE}{ticket.pk}/").content.decode()
    assert "13812345678" in login(supervisor).get(f"{QUEUE}{ticket.pk}/").content.decode()


def test_attachment_download_respects_access(ticket: Ticket, customer: User, make_agent: Callable[..., User],
                                             make_user: Callable[..., User]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    agent = make_agent()
    services.ticket_add_note(ticket=ticket, author=agent, body="内部截图",
                             uploads=[SimpleUploadedFile("a.txt", b"internal")])
    note_file = TicketMessage.objects.get(kind="note").attachments.get()
    assert login(agent).get(f"{QUEUE}attachments/{note_file.pk}/").status_code == 200
    assert login(customer).get(f"{QUEUE}attachments/{note_file.pk}/").status_code == 404
    assert login(make_user("customer")).get(f"{QUEUE}attachments/{note_file.pk}/").status_code == 404


def test_knowledge_suggestions_follow_their_canary_flag(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    from waffle.models import Flag

    client = login(make_agent())
    # Set here, not taken from the data migration: a transactional test's flush may have removed it.
    flag, _ = Flag.objects.update_or_create(name="desk_ticket_suggestions", defaults={"percent": 99.9})
    flag.flush()
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'id="kb-suggestions"' in page and "tickets/suggestions.js" in page
    assert ticket.subject in page
    flag.percent = 0
    flag.save()
    flag.flush()  # waffle clears its cached copy on commit, which a test's transaction never reaches
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'id="kb-suggestions"' not in page and "tickets/suggestions.js" not in page


def test_agent_opens_a_ticket_for_a_customer_found_by_phone(make_agent: Callable[..., User], customer: User,
                                                            team: Team) -> None:
    from tickets.models import RoutingRule

    RoutingRule.objects.create(name="默认", team=team)
    agent = make_agent()
    client = login(agent)
    assert 'id="new-ticket-form"' in client.get(f"{QUEUE}new/").content.decode()
    response = client.post(f"{QUEUE}new/", {"customer": customer.phone, "channel": "phone", "subject": "电话咨询退款",
                                           "body": "客户来电询问退款进度", "order_number": "DD1"})
    ticket = Ticket.objects.get(subject="电话咨询退款")
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}{ticket.pk}/"
    assert (ticket.customer, ticket.channel, ticket.order_number, ticket.team) == (customer, "phone", "DD1", team)
    first = ticket.messages.get()
    assert first.author == customer and first.from_customer
    assert ticket.history.filter(history_user=agent).exists()


@pytest.mark.parametrize("identifier", ["nobody-here", "13900000000", "x@example.com", ""])
def test_unknown_customer_is_a_form_error_and_nothing_is_written(make_agent: Callable[..., User],
                                                                 identifier: str) -> None:
    before = Ticket.objects.count()
    response = login(make_agent()).post(f"{QUEUE}new/", {"customer": identifier, "channel": "phone",
                                                         "subject": "s", "body": "b"})
    assert response.status_code == 400
    assert "customer" in response.context["form"].errors
    assert Ticket.objects.count() == before


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("merchant_staff", 403), ("supervisor", 200),
                                              ("qa", 200), ("admin", 200)])
def test_new_ticket_page_is_for_the_desk(client_for: Callable[[str], Client], role: str, status: int) -> None:
    assert client_for(role).get(f"{QUEUE}new/").status_code == status


def test_ticket_page_shows_the_customers_orders_and_requests_in_constant_queries(
    ticket: Ticket, customer: User, make_agent: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    from aftersales.services import setup
    from tests.aftersales.factories import apply, make_order, photo

    setup.reference_data_ensure()
    client = login(make_agent())
    first = make_order(customer=customer)
    with django_assert_max_num_queries(60) as one_order:
        page = client.get(f"{QUEUE}{ticket.pk}/").content.decode()
    assert first.number in page and 'id="customer-orders"' in page
    for _ in range(3):
        apply(make_order(customer=customer), reason="quality", images=[photo()])
    with django_assert_max_num_queries(len(one_order.captured_queries)):
        page = client.get(f"{QUEUE}{ticket.pk}/").content.decode()
    assert page.count('class="customer-facts__head"') >= 4


def test_the_queue_reads_the_agents_teams_calendars_and_permissions_once_or_from_the_cache(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    agent = make_agent()
    client = login(agent)
    for n in range(3):
        make_ticket(subject=f"排队{n}")
    client.get(QUEUE)
    with django_assert_max_num_queries(10) as page:
        assert client.get(f"{QUEUE}?status=open").status_code == 200
    statements = [query["sql"] for query in page.captured_queries]
    # One read of the agent's teams serves the queue, every view's count and the bulk form.
    teams = 'SELECT "profiles_team"."id" AS "pk" FROM "profiles_team"'
    team_reads = [sql for sql in statements if sql.startswith(teams)]
    assert len(team_reads) == 1
    assert not [sql for sql in statements if "tickets_businesscalendar" in sql or "auth_permission" in sql]
    # The five views' counts are one statement.
    assert len([sql for sql in statements if "COUNT(*)" in sql]) == 1
