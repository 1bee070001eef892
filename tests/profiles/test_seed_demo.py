from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection

from profiles import selectors
from profiles.models import AgentProfile, CustomerProfile, Merchant, Skill, Store, StoreMembership, Team, User
from profiles.roles import Role
from tests.core.pii import ciphertext_pattern

COUNTED = [User, CustomerProfile, AgentProfile, Merchant, Store, StoreMembership, Skill, Team]
HISTORY = [model.history.model for model in COUNTED if hasattr(model, "history")]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in [*COUNTED, *HISTORY]}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db: None) -> str:
    return _seed()


def test_refuses_without_debug_unless_forced(db: None, settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.filter(username="agent1").exists()


def test_running_twice_changes_nothing(seeded: str) -> None:
    first = _counts()
    assert first["User"] == 20 + 8 + 3 + 3  # customers, agents, supervisor/qa/admin, merchant staff
    assert (first["CustomerProfile"], first["AgentProfile"], first["Merchant"], first["Store"]) == (20, 8, 3, 3)
    assert (first["Skill"], first["Team"], first["StoreMembership"]) == (4, 3, 3)
    again = _seed()
    assert _counts() == first  # history included: an unchanged row is not saved again
    assert "0 new user(s)" in again


def test_prints_the_demo_logins(seeded: str) -> None:
    for login in ("customer1", "customer20", "agent1", "agent8", "supervisor", "qa", "admin",
                  "merchant1_staff", "merchant2_staff", "merchant3_staff", "demo12345"):
        assert login in seeded


def test_every_demo_login_works_with_the_demo_password(seeded: str) -> None:
    usernames = [f"customer{n}" for n in range(1, 21)] + [f"agent{n}" for n in range(1, 9)]
    usernames += ["supervisor", "qa", "admin", "merchant1_staff", "merchant2_staff", "merchant3_staff"]
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    assert set(users) == set(usernames)
    assert all(user.check_password("demo12345") and user.is_active for user in users.values())


def test_each_role_has_its_group(seeded: str) -> None:
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


def test_customers_are_realistic_and_encrypted(seeded: str) -> None:
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


def test_agents_have_skills_teams_and_capacity(seeded: str) -> None:
    agents = AgentProfile.objects.select_related("user").prefetch_related("skills", "teams")
    by_name = {agent.user.username: agent for agent in agents}
    assert {skill.name for skill in by_name["agent3"].skills.all()} == {"售后", "物流"}
    assert [team.name for team in by_name["agent3"].teams.all()] == ["售后一组"]
    assert by_name["agent3"].capacity == 8
    teams = {team.name: team.agents.count() for team in Team.objects.all()}
    assert teams == {"售后一组": 3, "物流支付组": 3, "商品咨询组": 2}
    assert set(Skill.objects.values_list("code", flat=True)) == {"aftersales", "logistics", "payment", "product"}


def test_each_merchant_staff_sees_only_their_store(seeded: str) -> None:
    for number, code in enumerate(["migo-digital", "youzhi-apparel", "liangwei-snacks"], start=1):
        staff = User.objects.get(username=f"merchant{number}_staff")
        assert [store.code for store in selectors.stores_for_user(staff)] == [code]
    assert set(selectors.stores_for_user(User.objects.get(username="admin"))) == set(Store.objects.all())


def test_other_apps_seed_through_their_app_config_in_the_same_transaction(db: None, monkeypatch: Any) -> None:
    from django.apps import apps

    seen: list[int] = []

    def seed_tickets(stdout: Any) -> None:
        # Runs after the profiles data exists, so an app can build on it.
        seen.append(User.objects.filter(username="agent1").count())
        raise RuntimeError("tickets demo failed")

    monkeypatch.setattr(apps.get_app_config("tickets"), "seed_demo", seed_tickets, raising=False)
    with pytest.raises(RuntimeError):
        _seed()
    assert seen == [1]
    assert not User.objects.exists()  # nothing half-written
