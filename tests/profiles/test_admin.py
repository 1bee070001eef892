from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from profiles import services
from profiles.models import AgentProfile, CustomerProfile, Merchant, Skill, Store, StoreMembership, Team, User
from tests.factories import (
    AgentProfileFactory,
    CustomerProfileFactory,
    SkillFactory,
    StoreFactory,
    TeamFactory,
    UserFactory,
)

MODELS: list[type[Model]] = [User, Merchant, Store, Skill, Team, AgentProfile, CustomerProfile]
# A changelist's queries must not grow with its rows (session, user, count, page, filters...).
CHANGELIST_MAX_QUERIES = 10


def _populate(rows: int) -> None:
    for _ in range(rows):
        skills, teams = [SkillFactory.create(), SkillFactory.create()], [TeamFactory.create()]
        store = StoreFactory.create()
        services.store_add_staff(store=store, user=UserFactory.create())
        agent = AgentProfileFactory.create()
        services.agent_profile_set(user=agent.user, skills=skills, teams=teams, capacity=5)
        CustomerProfileFactory.create(address="上海市浦东新区世纪大道100号", tags=["复购", "高价值"])


@pytest.fixture
def admin_client_(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user("admin"))
    return client


def _admin_url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_and_change_pages_load_with_bounded_queries(
    admin_client_: Client, model: type[Model], django_assert_max_num_queries: Any
) -> None:
    _populate(2)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES) as small_queries:
        small = admin_client_.get(_admin_url(model, "changelist"))
    assert small.status_code == 200
    _populate(8)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES) as big_queries:
        big = admin_client_.get(_admin_url(model, "changelist"))
    assert big.status_code == 200
    assert len(big_queries) == len(small_queries)
    assert big.context["cl"].result_count == model._default_manager.count() >= 10
    obj = model._default_manager.order_by("pk").last()
    assert obj is not None
    for view in ("change", "history"):
        page = admin_client_.get(_admin_url(model, view, obj.pk))
        assert page.status_code == 200, (view, page.content[:500])
    assert admin_client_.get(_admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "customer", "agent", "merchant_staff"])
def test_admin_refuses_people_who_are_not_staff(client_for: Callable[[str], Client], role: str) -> None:
    response = client_for(role).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client_for(role).get(_admin_url(CustomerProfile, "changelist")).status_code == 302


def test_agent_gets_no_customer_data_from_admin(client_for: Callable[[str], Client]) -> None:
    CustomerProfileFactory.create(address="北京市朝阳区建国路88号")
    response = client_for("agent").get(_admin_url(CustomerProfile, "changelist"), follow=True)
    assert "建国路" not in response.content.decode()


def test_admin_adds_a_user_with_encrypted_contact_details(admin_client_: Client) -> None:
    response = admin_client_.post(_admin_url(User, "add"), {
        "username": "wanglei", "usable_password": "true", "password1": "a-Strong-pass-2026",
        "password2": "a-Strong-pass-2026", "display_name": "王磊", "phone": "13812345678",
        "email": "Wang.Lei@Example.com",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get_by_phone("+8613812345678")
    assert (user.username, user.display_name, user.email) == ("wanglei", "王磊", "Wang.Lei@Example.com")
    assert User.objects.get_by_email("wang.lei@example.com") == user
    assert user.check_password("a-Strong-pass-2026")


def test_admin_rejects_a_bad_email_naming_the_field(admin_client_: Client) -> None:
    response = admin_client_.post(_admin_url(User, "add"), {
        "username": "bad", "usable_password": "false", "email": "not-an-email",
    })
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="bad").exists()


def test_admin_changes_a_phone_and_the_blind_index_follows(admin_client_: Client) -> None:
    user = UserFactory.create(phone="13800000001", email="li@example.com")
    response = admin_client_.post(_admin_url(User, "change", user.pk), {
        "username": user.username, "display_name": "李娜", "phone": "13911112222", "email": "li@example.com",
        "preferred_language": "", "is_active": "on", "date_joined_0": "2026-01-05", "date_joined_1": "09:30:00",
        "last_login_0": "", "last_login_1": "",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert User.objects.get_by_phone("13911112222").display_name == "李娜"
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_phone("13800000001")
    assert user.history.latest().history_user == User.objects.get(is_superuser=True)


def test_admin_search_by_name_and_by_exact_phone(admin_client_: Client) -> None:
    target = UserFactory.create(username="zhangsan", display_name="张三", phone="13812345678")
    UserFactory.create(username="lisi", display_name="李四", phone="13900000000")
    url = _admin_url(User, "changelist")
    for term in ("zhangsan", "张三", "138 1234 5678"):
        found = list(admin_client_.get(url, {"q": term}).context["cl"].result_list)
        assert found == [target], term
    customer = CustomerProfileFactory.create(user__phone="13700001111")
    found = list(admin_client_.get(_admin_url(CustomerProfile, "changelist"), {"q": "13700001111"})
                 .context["cl"].result_list)
    assert found == [customer]


def test_qa_sees_customer_pii_masked_in_admin(client_for: Callable[[str], Client], make_user: Any) -> None:
    profile = CustomerProfileFactory.create(address="北京市朝阳区建国路88号1203室")
    services.customer_profile_set(user=profile.user, external_id=profile.external_id,
                                  address="上海市浦东新区世纪大道100号", id_number="110101199001011234")
    qa = Client()
    qa.force_login(make_user("qa"))
    page = qa.get(_admin_url(CustomerProfile, "change", profile.pk)).content.decode()
    assert "1101**********1234" in page and "上海市浦东新****" in page
    assert "110101199001011234" not in page and "世纪大道" not in page
    history = qa.get(_admin_url(CustomerProfile, "history", profile.pk)).content.decode()
    assert "建国路" not in history and "世纪大道" not in history
    assert "北京市朝阳区****" in history

    supervisor = Client()
    supervisor.force_login(make_user("supervisor"))
    page = supervisor.get(_admin_url(CustomerProfile, "change", profile.pk)).content.decode()
    assert "110101199001011234" in page and "世纪大道100号" in page


def test_store_membership_inline_goes_through_the_services(admin_client_: Client) -> None:
    store, staff, other = StoreFactory.create(), UserFactory.create(), UserFactory.create()
    url = _admin_url(Store, "change", store.pk)
    base = {"merchant": store.merchant_id, "name": store.name, "code": store.code}

    def post(rows: list[dict[str, Any]], initial: int) -> None:
        data = {**base, "memberships-TOTAL_FORMS": len(rows), "memberships-INITIAL_FORMS": initial,
                "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000}
        for index, row in enumerate(rows):
            data.update({f"memberships-{index}-{key}": value for key, value in row.items()})
        response = admin_client_.post(url, data)
        assert response.status_code == 302, response.context and response.context["errors"]

    post([{"user": staff.pk, "role": "manager", "store": store.pk}], initial=0)
    assert User.objects.get(pk=staff.pk).has_perm("profiles.view_store", store)
    membership = StoreMembership.objects.get(store=store)
    assert (membership.user, membership.role) == (staff, "manager")

    post([{"id": membership.pk, "user": other.pk, "role": "staff", "store": store.pk}], initial=1)
    assert not User.objects.get(pk=staff.pk).has_perm("profiles.view_store", store)
    assert User.objects.get(pk=other.pk).has_perm("profiles.view_store", store)

    membership = StoreMembership.objects.get(store=store)
    post([{"id": membership.pk, "user": other.pk, "role": "staff", "store": store.pk, "DELETE": "on"}], initial=1)
    assert not StoreMembership.objects.filter(store=store).exists()
    assert not User.objects.get(pk=other.pk).has_perm("profiles.view_store", store)


def test_store_object_permissions_page_lists_the_staff(admin_client_: Client) -> None:
    store, staff = StoreFactory.create(), UserFactory.create(display_name="良味运营 郑浩")
    services.store_add_staff(store=store, user=staff)
    page = admin_client_.get(reverse("admin:profiles_store_permissions", args=[store.pk]))
    assert page.status_code == 200
    assert str(staff) in page.content.decode()
