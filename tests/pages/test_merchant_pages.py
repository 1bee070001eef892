"""Merchant portal: the staff member's own stores, and a store with its staff."""

import pytest

from profiles import services
from profiles.models import StoreMembership
from tests.clients import logged_in
from tests.conftest import ALL_ROLES
from tests.factories import StoreFactory, UserFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text

MERCHANT = "/merchant/"
EXPECTED: dict[str, Outcome] = {
    "anonymous": "login",
    "customer": "forbidden",
    "agent": "forbidden",
    "supervisor": "forbidden",
    "qa": "forbidden",
    "merchant_staff": "ok",
    "admin": "ok",
}


def store_path(store_id: int) -> str:
    return f"/merchant/stores/{store_id}/"



@pytest.mark.parametrize("role", ALL_ROLES)
def test_merchant_home_permissions(client_for, role: str) -> None:
    response = client_for(role).get(MERCHANT)
    assert_outcome(response, EXPECTED[role], MERCHANT)
    if EXPECTED[role] == "ok":
        assert "<title>商家后台 · 服务中心</title>" in page_text(response)


def test_staff_see_their_own_stores_only(make_user) -> None:
    staff = make_user("merchant_staff")
    own = staff.stores.get()
    second_own = StoreFactory.create(name="优织服饰旗舰店", merchant__name="优织服饰")
    services.store_add_staff(store=second_own, user=staff)
    other = StoreFactory.create(name="别人的店")
    text = page_text(logged_in(staff).get(MERCHANT))
    assert own.name in text and second_own.name in text and "优织服饰" in text
    assert f'href="{store_path(own.pk)}"' in text and f'href="{store_path(second_own.pk)}"' in text
    assert other.name not in text


def test_staff_of_no_store_are_told_to_ask_their_manager(db: None) -> None:
    from profiles.roles import Role

    loner = UserFactory.create(roles=(Role.MERCHANT_STAFF,))
    assert "请联系店长添加" in page_text(logged_in(loner).get(MERCHANT))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_store_page_permissions_for_a_store_of_someone_else(client_for, role: str) -> None:
    store = StoreFactory.create()
    path = store_path(store.pk)
    response = client_for(role).get(path)
    if role == "merchant_staff":
        # Someone else's store is indistinguishable from no store.
        assert response.status_code == 404
        assert "页面不存在" in page_text(response)
    else:
        assert_outcome(response, EXPECTED[role], path)


def test_staff_see_their_own_store_with_its_staff_managers_first(make_user) -> None:
    staff = make_user("merchant_staff", display_name="店员小吴")
    store = staff.stores.get()
    manager = UserFactory.create(display_name="店长老钱")
    services.store_add_staff(store=store, user=manager, role=StoreMembership.StoreRole.MANAGER)
    text = page_text(logged_in(staff).get(store_path(store.pk)))
    assert f"<title>{store.name} · 服务中心</title>" in text
    assert store.merchant.name in text and store.code in text
    assert "2 人" in text
    staff_table = text[text.index('id="staff-title"') :]
    assert staff_table.index("店长老钱") < staff_table.index("店员小吴")
    assert ">店长</span>" in text and ">店员</span>" in text


def test_staff_get_404_for_a_store_that_does_not_exist(client_for) -> None:
    assert client_for("merchant_staff").get(store_path(999_999)).status_code == 404


def test_merchant_pages_query_count_does_not_grow_with_rows(make_user, django_assert_max_num_queries) -> None:
    staff = make_user("merchant_staff")
    store = staff.stores.get()
    client = logged_in(staff)
    client.get(MERCHANT)  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(14) as home_before:
        client.get(MERCHANT)
    with django_assert_max_num_queries(14) as store_before:
        client.get(store_path(store.pk))
    for number in range(4):
        services.store_add_staff(store=StoreFactory.create(), user=staff)
        services.store_add_staff(store=store, user=UserFactory.create(display_name=f"新店员{number}"))
    with django_assert_max_num_queries(14) as home_after:
        client.get(MERCHANT)
    with django_assert_max_num_queries(14) as store_after:
        response = client.get(store_path(store.pk))
    assert "新店员3" in page_text(response)
    assert len(home_after.captured_queries) == len(home_before.captured_queries)
    assert len(store_after.captured_queries) == len(store_before.captured_queries)
