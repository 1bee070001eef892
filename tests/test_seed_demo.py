"""The demo data `seed_demo` makes, for every app: seeded once for this module (a run takes ~20 s of CPU), each
test rolls back its own changes, and one test runs it again to find nothing to add."""

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Min
from django.test import override_settings

from aftersales.models import (
    AfterSalesRequest,
    CategoryPolicy,
    ContactMailbox,
    Evidence,
    Order,
    OrderItem,
    Reason,
    RequestEvent,
    ReturnAddress,
    Shipment,
)
from chat.models import ChatMessage, Conversation, ReadReceipt
from profiles import selectors
from profiles.models import AgentProfile, CustomerProfile, Merchant, Skill, Store, StoreMembership, Team, User
from profiles.roles import Role
from tests.core.pii import ciphertext_pattern
from tickets.models import (
    CannedResponse,
    KeywordRule,
    RoutingRule,
    SatisfactionSurvey,
    SlaPolicy,
    Ticket,
    TicketMessage,
)

pytestmark = pytest.mark.django_db

COUNTED = [User, CustomerProfile, AgentProfile, Merchant, Store, StoreMembership, Skill, Team,
           Order, OrderItem, Shipment, AfterSalesRequest, RequestEvent, Evidence, CategoryPolicy, Reason, ReturnAddress,
           ContactMailbox,
           Conversation, ChatMessage, ReadReceipt,
           Ticket, TicketMessage, SlaPolicy, RoutingRule, KeywordRule, CannedResponse, SatisfactionSurvey]


def _counts() -> dict[str, int]:
    models = [*COUNTED, *(model.history.model for model in COUNTED if hasattr(model, "history"))]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def demo_output(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """What the first run printed. The rows live in a transaction rolled back when the module ends; each
    test's own transaction nests inside it as a savepoint."""
    # The suite's fast hasher (conftest's autouse fixture is function-scoped, so it is not on yet here).
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        out = StringIO()
        call_command("seed_demo", force=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_a_second_run_changes_nothing_and_needs_debug_or_force(demo_output: str, settings: Any) -> None:
    first = _counts()
    assert first["User"] == 20 + 8 + 3 + 3  # customers, agents, supervisor/qa/admin, merchant staff
    assert (first["CustomerProfile"], first["AgentProfile"], first["Merchant"], first["Store"]) == (20, 8, 3, 3)
    assert (first["Skill"], first["Team"], first["StoreMembership"]) == (4, 3, 3)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = True
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert _counts() == first  # history included: an unchanged row is not saved again
    assert "0 new user(s)" in again.getvalue()


def test_prints_the_demo_logins(demo_output: str) -> None:
    for login in ("customer1", "customer20", "agent1", "agent8", "supervisor", "qa", "admin",
                  "merchant1_staff", "merchant2_staff", "merchant3_staff", "demo12345"):
        assert login in demo_output


def test_every_demo_login_works_with_the_demo_password(demo_output: str) -> None:
    usernames = [f"customer{n}" for n in range(1, 21)] + [f"agent{n}" for n in range(1, 9)]
    usernames += ["supervisor", "qa", "admin", "merchant1_staff", "merchant2_staff", "merchant3_staff"]
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    assert set(users) == set(usernames)
    assert all(user.check_password("demo12345") and user.is_active for user in users.values())


def test_each_role_has_its_group(demo_output: str) -> None:
    expected = {"customer7": Role.CUSTOMER, "agent3": Role.AGENT, "supervisor": Role.SUPERVISOR, "qa": Role.QA,
                "admin": Role.ADMIN, "merchant2_staff": Role.MERCHANT_STAFF}
    for username, role in expected.items():
        assert User.objects.get(username=username).groups.filter(name=role).exists(), username
    assert Group.objects.get(name=Role.AGENT).user_set.count() == 8
    assert Group.objects.get(name=Role.CUSTOMER).user_set.count() == 20
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="supervisor").has_perm("profiles.view_pii")
    assert not User.objects.get(username="agent1").has_perm("profiles.view_pii")


def test_customers_are_realistic_and_encrypted(demo_output: str) -> None:
    customer = CustomerProfile.objects.select_related("user").get(user__username="customer1")
    assert customer.user.display_name == "张小明"
    assert customer.external_id == "SHOP-C00001"
    assert customer.vip_level == CustomerProfile.VipLevel.PLATINUM
    assert "高价值" in customer.tags
    assert customer.address.startswith("北京市")
    assert User.objects.get_by_phone("+86 138 1234 5678") == customer.user
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, email FROM profiles_user WHERE username = 'customer1'")
        phone, email = cursor.fetchone()
    assert ciphertext_pattern("dev1").match(phone) and ciphertext_pattern("dev1").match(email)
    assert len({profile.vip_level for profile in CustomerProfile.objects.all()}) == 5


def test_agents_have_skills_teams_and_capacity(demo_output: str) -> None:
    agents = AgentProfile.objects.select_related("user").prefetch_related("skills", "teams")
    by_name = {agent.user.username: agent for agent in agents}
    assert {skill.name for skill in by_name["agent3"].skills.all()} == {"售后", "物流"}
    assert [team.name for team in by_name["agent3"].teams.all()] == ["售后一组"]
    assert by_name["agent3"].capacity == 8
    teams = {team.name: team.agents.count() for team in Team.objects.all()}
    assert teams == {"售后一组": 3, "物流支付组": 3, "商品咨询组": 2}
    assert set(Skill.objects.values_list("code", flat=True)) == {"aftersales", "logistics", "payment", "product"}


def test_each_merchant_staff_sees_only_their_store(demo_output: str) -> None:
    for number, code in enumerate(["migo-digital", "youzhi-apparel", "liangwei-snacks"], start=1):
        staff = User.objects.get(username=f"merchant{number}_staff")
        assert [store.code for store in selectors.stores_for_user(staff)] == [code]
    assert set(selectors.stores_for_user(User.objects.get(username="admin"))) == set(Store.objects.all())


def test_after_sales_orders_and_requests_in_many_states(demo_output: str) -> None:
    assert "After-sales demo data ready (60 new order(s)" in demo_output
    assert Order.objects.count() == 60 and AfterSalesRequest.objects.count() == 12
    statuses = set(AfterSalesRequest.objects.values_list("status", flat=True))
    assert {"merchant_review", "awaiting_return", "in_transit", "received", "rejected", "arbitration",
            "exchange_shipped", "cancelled", "refunding"} <= statuses
    assert Order.objects.filter(shipments__isnull=True).count() >= 5  # some not shipped yet
    assert set(Order.objects.values_list("store__code", flat=True)) == {
        "migo-digital", "youzhi-apparel", "liangwei-snacks"}


def test_realistic_chats(demo_output: str) -> None:
    assert "Chat: 4 new demo conversation(s)." in demo_output
    statuses = dict(Conversation.objects.values_list("customer__username", "status"))
    assert statuses == {"customer1": "ended", "customer2": "active", "customer3": "waiting", "customer4": "waiting"}
    assert Conversation.objects.get(customer__username="customer1").rating == 5
    assert ChatMessage.objects.filter(body__contains="杭州转运中心").exists()


def test_demo_chats_queue_even_when_seeded_after_hours(demo_output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from chat import demo_data
    from chat import selectors as chat_selectors

    night = datetime(2026, 12, 8, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday after the chat desk closed
    assert chat_selectors.desk_availability(night).reason == "off_hours"
    monkeypatch.setattr(timezone, "now", lambda: night)
    Conversation.objects.all().delete()
    assert demo_data.seed() == 4
    statuses = dict(Conversation.objects.values_list("customer__username", "status"))
    assert statuses == {"customer1": "ended", "customer2": "active", "customer3": "waiting", "customer4": "waiting"}


def test_desk_tickets_and_sla_policies(demo_output: str) -> None:
    # Forty of the desk's own; the after-sales demo requests open theirs too.
    assert Ticket.objects.filter(aftersales_request__isnull=True).count() == 40 and SlaPolicy.objects.count() == 16
    assert Ticket.objects.filter(channel="phone").exists() and Ticket.objects.filter(status="solved").exists()
    assert Ticket.objects.filter(assignee__isnull=False).count() >= 20
    phone = SlaPolicy.objects.get(channel="phone", priority="normal").first_response_minutes
    chat = SlaPolicy.objects.get(channel="chat", priority="normal").first_response_minutes
    email = SlaPolicy.objects.get(channel="email", priority="normal").first_response_minutes
    assert phone < chat < email


def test_side_conversations_can_pick_each_demo_orders_store_and_courier(demo_output: str) -> None:
    from core import side_contacts

    order = Shipment.objects.select_related("order").order_by("pk").first().order  # type: ignore[union-attr]
    offered = {contact.address for contact in side_contacts.contacts_for_order(order.number)}
    assert f"aftersales@{order.store.code}.example.cn" in offered
    assert any(email.startswith("service@") for email in offered), offered
    assert ContactMailbox.objects.filter(courier="").count() == 3


def test_the_demo_happens_in_causal_order(demo_output: str) -> None:
    """created < first response < solved < rated, for every demo ticket, message and chat (issue 18)."""
    tickets = list(Ticket.objects.all())
    assert tickets
    for ticket in tickets:
        moments = [ticket.created_at, ticket.first_responded_at, ticket.solved_at, ticket.closed_at]
        known = [moment for moment in moments if moment is not None]
        assert known == sorted(known), (ticket.number, moments)
    for message in TicketMessage.objects.select_related("ticket"):
        assert message.created_at >= message.ticket.created_at, message.ticket.number
    for ticket_id, first_reply in (TicketMessage.objects.filter(kind="reply", from_customer=False)
                                   .values_list("ticket_id").annotate(first=Min("created_at"))):
        assert Ticket.objects.get(pk=ticket_id).first_responded_at == first_reply
    for survey in SatisfactionSurvey.objects.select_related("ticket").exclude(submitted_at=None):
        assert survey.ticket.solved_at is not None and survey.submitted_at is not None
        assert survey.submitted_at >= survey.ticket.solved_at
    for chat in Conversation.objects.all():
        moments = [chat.started_at, chat.assigned_at, chat.ended_at]
        known = [moment for moment in moments if moment is not None]
        assert known == sorted(known) and (chat.rating is None or chat.ended_at is not None)
