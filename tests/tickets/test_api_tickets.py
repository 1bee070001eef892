"""The tickets API: access across roles (own vs other), create with Idempotency-Key, messages, actions."""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import tasks as core_tasks
from core import webhooks as core_webhooks
from core.models import WebhookDelivery, WebhookEndpoint
from profiles.models import Team, User
from profiles.roles import Role
from tests.factories import CustomerProfileFactory, TeamFactory, UserFactory
from tests.tickets.factories import CategoryFactory, make_calendar
from tickets import services
from tickets.models import RoutingRule, SlaPolicy, Status, Ticket, TicketMessage

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


def api(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def ticket(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket(tags=["物流"])


@pytest.fixture
def other_ticket(team: Team) -> Ticket:
    stranger = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    return services.ticket_create(customer=stranger, subject="发票开错了", body="发票抬头写错了，请重开。",  # noqa: RUF001
                                  team=TeamFactory.create(name="发票组"), channel="email")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 403), ("merchant_staff", 403), ("customer", 200), ("agent", 200), ("supervisor", 200),
     ("qa", 200), ("admin", 200)],
)
def test_list_status_by_role(role: str, expected: int, make_user: Callable[..., User], ticket: Ticket) -> None:
    user = None if role == "anonymous" else make_user(role)
    assert api(user).get(URL).status_code in ({401, 403} if expected == 403 else {expected})


def test_list_shows_each_role_only_what_it_may_see(
    ticket: Ticket, other_ticket: Ticket, customer: User, make_agent: Callable[..., User],
    make_user: Callable[..., User],
) -> None:
    def numbers(user: User) -> set[str]:
        return {row["number"] for row in api(user).get(URL).json()["results"]}

    assert numbers(customer) == {ticket.number}
    assert numbers(make_agent()) == {ticket.number}
    assert numbers(make_user("agent")) == set()  # no team, nothing assigned
    assert numbers(make_user("supervisor")) == {ticket.number, other_ticket.number}
    assert numbers(make_user("customer")) == set()


def test_customer_view_hides_desk_fields(ticket: Ticket, customer: User, make_agent: Callable[..., User]) -> None:
    mine = api(customer).get(f"{URL}{ticket.number}/").json()
    assert "tags" not in mine and "team_id" not in mine and mine["number"] == ticket.number
    desk = api(make_agent()).get(f"{URL}{ticket.pk}/").json()
    assert desk["tags"] == ["物流"] and desk["team_id"] == ticket.team_id
    assert "open" in desk["allowed_statuses"]


@pytest.mark.parametrize("who", ["other_customer", "other_team_agent", "merchant"])
def test_someone_elses_ticket_is_404(who: str, ticket: Ticket, make_user: Callable[..., User]) -> None:
    user = {"other_customer": lambda: make_user("customer"),
            "other_team_agent": lambda: make_user("agent"),
            "merchant": lambda: make_user("merchant_staff")}[who]()
    response = api(user).get(f"{URL}{ticket.number}/")
    assert response.status_code == (403 if who == "merchant" else 404)
    assert response.json()["error"]["code"] in {"not_found", "permission_denied"}
    if who != "merchant":
        assert api(user).post(f"{URL}{ticket.pk}/messages/", {"body": "hi"}, format="json").status_code == 404


def test_supervisor_sees_another_teams_ticket(other_ticket: Ticket, make_user: Callable[..., User]) -> None:
    assert api(make_user("supervisor")).get(f"{URL}{other_ticket.number}/").status_code == 200


def test_filters(ticket: Ticket, other_ticket: Ticket, make_user: Callable[..., User]) -> None:
    client = api(make_user("supervisor"))

    def numbers(query: str) -> set[str]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return {row["number"] for row in response.json()["results"]}

    assert numbers("tag=物流") == {ticket.number}
    assert numbers("channel=email") == {other_ticket.number}
    assert numbers(f"team={other_ticket.team_id}") == {other_ticket.number}
    assert numbers("status=new&priority=normal") == {ticket.number, other_ticket.number}
    assert numbers("status=closed") == set()
    assert client.get(f"{URL}?status=bogus").status_code == 400


def test_list_uses_cursor_pagination(make_ticket: Callable[..., Ticket], make_user: Callable[..., User]) -> None:
    for _ in range(3):
        make_ticket()
    client = api(make_user("supervisor"))
    first = client.get(f"{URL}?page_size=2").json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1


def test_list_query_count_is_constant(
    make_ticket: Callable[..., Ticket], make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    client = api(make_user("supervisor"))
    make_ticket()
    with django_assert_max_num_queries(9):
        client.get(URL)
    for _ in range(10):
        make_ticket()
    with django_assert_max_num_queries(9):
        assert len(client.get(URL).json()["results"]) == 11


def test_customer_creates_own_ticket_once_per_idempotency_key(customer: User) -> None:
    client = api(customer)
    body = {"subject": "快递显示签收但我没收到", "body": "订单 8812 显示已签收，我没有收到包裹。",  # noqa: RUF001
            "order_number": "8812", "customer_id": 999999}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    ticket = Ticket.objects.get()
    # A customer always files for themself, whatever customer_id says.
    assert ticket.customer == customer and ticket.source == "api" and ticket.order_number == "8812"
    assert client.post(URL, {**body, "subject": "另一件事"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k-1").status_code == 422


def test_create_bad_input_is_400_with_fields_and_writes_nothing(customer: User) -> None:
    response = api(customer).post(URL, {"subject": "", "channel": "pigeon", "priority": "asap", "tags": "x" * 40},
                                  format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"subject", "body", "channel", "priority"} <= set(fields)
    assert not Ticket.objects.exists()


def test_created_ticket_is_offered_to_webhooks(customer: User, monkeypatch: pytest.MonkeyPatch,
                                              django_capture_on_commit_callbacks: Any) -> None:
    monkeypatch.setattr(core_tasks.deliver_webhook, "delay", core_webhooks.deliver)
    # Nothing listens on port 9: the attempt fails fast and the row waits for its retry.
    WebhookEndpoint.objects.create(name="ERP", url="http://127.0.0.1:9/hook", secret="s" * 20,
                                   events=["ticket.created"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api(customer).post(URL, {"subject": "想改收货地址", "body": "能改成公司地址吗"}, format="json")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "ticket.created" and delivery.payload["data"]["number"] == response.json()["number"]
    assert delivery.status == "pending" and delivery.attempts == 1


def test_agent_creates_on_behalf_of_a_named_customer(customer: User, make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    client = api(agent)
    missing = client.post(URL, {"subject": "电话来电", "body": "客户来电询问退款进度"}, format="json")
    assert missing.status_code == 400 and "customer_id" in missing.json()["error"]["fields"]
    unknown = client.post(URL, {"subject": "电话来电", "body": "客户来电询问退款进度", "customer_id": agent.pk},
                          format="json")
    assert unknown.status_code == 400
    response = client.post(URL, {"subject": "电话来电", "body": "客户来电询问退款进度", "customer_id": customer.pk,
                                 "channel": "phone"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["customer_id"] == customer.pk and response.json()["channel"] == "phone"


@pytest.mark.parametrize("who", ["customer", "integrator"])
def test_the_create_answer_is_the_ticket_as_stored(
    who: str, customer: User, team: Team, make_agent: Callable[..., User], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 201 body is serialized from the ticket just written (no refetch): it must say what a read says,
    routing, agent, category, SLA clocks and all."""
    RoutingRule.objects.create(name="全部", team=team, set_priority="high")
    make_agent(capacity=10)
    category = CategoryFactory.create(code="refund", is_active=True)
    policy_calendar = make_calendar(weekdays=range(7), statutory=False)
    SlaPolicy.objects.create(name="高", priority="high", first_response_minutes=60, next_response_minutes=120,
                             resolution_minutes=1440, calendar=policy_calendar)
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)  # the SLA clocks' remaining time, equal on both reads
    integrator = UserFactory.create(roles=(Role.INTEGRATOR,))
    writer = customer if who == "customer" else integrator
    body: dict[str, Any] = {"subject": "退款还没到", "body": "申请退款一周了", "category": "refund",
                            "tags": ["退款", "催办"], "region": "广东", "order_number": " SO-1 "}
    if who == "integrator":
        body["customer_id"] = customer.pk
    created = api(writer).post(URL, body, format="json")
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["assignee_id"] is not None and answer["category"] == "refund" and answer["priority"] == "high"
    # An integrator writes but does not read tickets: an administrator reads what the desk fields say.
    reader = customer if who == "customer" else UserFactory.create(roles=(Role.ADMIN,))
    assert answer == api(reader).get(f"{URL}{answer['id']}/").json()
    assert Ticket.objects.get(pk=answer["id"]).category == category


def test_integrator_creates_by_external_id(customer: User) -> None:
    customer.customer_profile.external_id = "shop-778"
    customer.customer_profile.save()
    integrator = UserFactory.create(roles=(Role.INTEGRATOR,))
    response = api(integrator).post(URL, {"subject": "来自微信的留言", "body": "想咨询一下会员积分",
                                          "customer_external_id": "shop-778", "channel": "wechat"}, format="json")
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().customer == customer


def test_messages_hide_notes_from_the_customer(ticket: Ticket, customer: User, make_agent: Callable[..., User]
                                               ) -> None:
    agent = make_agent()
    desk = api(agent)
    assert desk.post(f"{URL}{ticket.pk}/messages/", {"kind": "note", "body": "客户情绪激动，优先处理"},  # noqa: RUF001
                     format="json").status_code == 201
    reply = desk.post(f"{URL}{ticket.number}/messages/", {"body": "您好，已为您催促仓库发货。"}, format="json")  # noqa: RUF001
    assert reply.status_code == 201 and reply.json()["kind"] == "reply"
    desk_kinds = [m["kind"] for m in desk.get(f"{URL}{ticket.pk}/messages/").json()["results"]]
    assert desk_kinds == ["reply", "note", "reply"]
    mine = api(customer).get(f"{URL}{ticket.pk}/messages/").json()["results"]
    assert [m["kind"] for m in mine] == ["reply", "reply"]
    refused = api(customer).post(f"{URL}{ticket.pk}/messages/", {"kind": "note", "body": "偷看"}, format="json")
    assert refused.status_code == 403
    assert api(customer).post(f"{URL}{ticket.pk}/messages/", {"body": "谢谢"}, format="json").status_code == 201
    assert TicketMessage.objects.filter(ticket=ticket, kind="note").count() == 1


def test_message_attachment_checked_by_content(ticket: Ticket, customer: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00\x03\x00\x00\x00", content_type="image/png")
    response = api(customer).post(f"{URL}{ticket.pk}/messages/", {"body": "附件", "attachments": [fake]},
                                  format="multipart")
    assert response.status_code == 400 and "attachments" in response.json()["error"]["fields"]
    assert ticket.messages.count() == 1
    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, content_type="image/png")
    ok = api(customer).post(f"{URL}{ticket.pk}/messages/", {"body": "附件", "attachments": [png]}, format="multipart")
    assert ok.status_code == 201 and ok.json()["attachments"][0]["content_type"] == "image/png"


def test_disallowed_transition_is_409_listing_allowed(ticket: Ticket, make_agent: Callable[..., User]) -> None:
    client = api(make_agent())
    assert client.post(f"{URL}{ticket.pk}/transition/", {"status": "solved"}, format="json").status_code == 200
    response = client.post(f"{URL}{ticket.pk}/transition/", {"status": "pending"}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert set(error["fields"]["allowed"]) == {"closed", "open"}
    assert client.post(f"{URL}{ticket.pk}/transition/", {"status": "nope"}, format="json").status_code == 400


def test_customer_cannot_transition_or_assign(ticket: Ticket, customer: User) -> None:
    client = api(customer)
    assert client.post(f"{URL}{ticket.pk}/transition/", {"status": "open"}, format="json").status_code == 403
    assert client.post(f"{URL}{ticket.pk}/assign/", {"assignee": None}, format="json").status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_assign_offline_agent_is_refused_unless_supervisor_forces(
    ticket: Ticket, make_agent: Callable[..., User], supervisor: User
) -> None:
    agent, offline = make_agent(), make_agent(online=False)
    refused = api(agent).post(f"{URL}{ticket.pk}/assign/", {"assignee": offline.pk}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "agent_unavailable"
    assert api(agent).post(f"{URL}{ticket.pk}/assign/", {"assignee": offline.pk, "force": True},
                           format="json").status_code == 403
    forced = api(supervisor).post(f"{URL}{ticket.pk}/assign/", {"assignee": offline.pk, "force": True}, format="json")
    assert forced.status_code == 200 and forced.json()["assignee_id"] == offline.pk
    assert api(agent).post(f"{URL}{ticket.pk}/assign/", {"assignee": 10**9}, format="json").status_code == 400


def test_escalate_and_nudge(ticket: Ticket, customer: User, make_agent: Callable[..., User]) -> None:
    response = api(make_agent()).post(f"{URL}{ticket.pk}/escalate/", {"note": "客户投诉升级"}, format="json")
    assert response.status_code == 200 and response.json()["escalation_level"] == 1
    nudged = api(customer).post(f"{URL}{ticket.pk}/nudge/")
    assert nudged.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).nudge_count == 1
    assert api(make_agent()).post(f"{URL}{ticket.pk}/nudge/").status_code == 403


def test_a_desk_reply_over_an_unread_customer_message_is_409_and_writes_nothing(
        ticket: Ticket, customer: User, make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    desk = api(agent)
    seen = desk.get(f"{URL}{ticket.pk}/messages/").json()["results"][-1]["id"]
    newer = api(customer).post(f"{URL}{ticket.pk}/messages/", {"body": "还有一个问题"}, format="json").json()["id"]
    stale = desk.post(f"{URL}{ticket.pk}/messages/", {"body": "好的", "seen_message_id": seen}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "newer_message"
    assert not ticket.messages.filter(author=agent).exists()
    current = desk.post(f"{URL}{ticket.pk}/messages/", {"body": "好的", "seen_message_id": newer}, format="json")
    assert current.status_code == 201
    assert desk.post(f"{URL}{ticket.pk}/messages/", {"body": "不带", "seen_message_id": 0},
                     format="json").json()["error"]["fields"].keys() == {"seen_message_id"}
    # without the field the reply goes out as before (integrators that do not track what they read)
    assert desk.post(f"{URL}{ticket.pk}/messages/", {"body": "再补充"}, format="json").status_code == 201


def test_a_ticket_names_its_customer_and_assignee_as_their_full_names(
    ticket: Ticket, make_agent: Callable[..., User], make_user: Callable[..., User],
) -> None:
    supervisor = make_user("supervisor")
    unassigned = api(supervisor).get(f"{URL}{ticket.pk}/").json()
    assert (unassigned["customer_name"], unassigned["assignee_name"]) == (ticket.customer.get_full_name(), None)
    agent = make_agent(user__display_name="李客服")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    assert api(supervisor).get(f"{URL}{ticket.pk}/").json()["assignee_name"] == "李客服" == agent.get_full_name()
