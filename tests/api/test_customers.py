"""GET /api/v1/customers/ and /customers/{id}/: who may read, what they see, filters, paging, query count."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from profiles.models import CustomerProfile
from profiles.roles import Role
from tests.api.helpers import API_ROLES, CUSTOMERS_URL, assert_error, customer_url
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db

READ_STATUS = {
    "anonymous": 401,
    "customer": 403,
    "agent": 200,
    "supervisor": 200,
    "qa": 200,
    "merchant_staff": 403,
    "admin": 200,
    "integrator": 200,
}
# Who sees phone, email and address in clear (holders of profiles.view_pii).
SEES_PII = {"supervisor", "admin"}


def make_customer(**kwargs: Any) -> CustomerProfile:
    user_kwargs = {f"user__{key}": kwargs.pop(key) for key in ("phone", "email", "display_name") if key in kwargs}
    # No password: hashing one per row would dominate the test time.
    return CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), user__password=None, **user_kwargs, **kwargs)


@pytest.fixture
def zhang() -> CustomerProfile:
    return make_customer(
        phone="13812345678", email="zhangsan@example.com", display_name="张三",
        address="浙江省杭州市西湖区文三路 100 号", vip_level=3, tags=["复购"],
    )


@pytest.mark.parametrize("role", API_ROLES)
def test_list_permissions(client_for: Any, role: str, zhang: CustomerProfile) -> None:
    response = client_for(role).get(CUSTOMERS_URL)
    assert response.status_code == READ_STATUS[role], response.content
    if response.status_code == 200:
        assert zhang.pk in [row["id"] for row in response.json()["results"]]
    else:
        assert_error(response, READ_STATUS[role], "not_authenticated" if role == "anonymous" else "permission_denied")


@pytest.mark.parametrize("role", API_ROLES)
def test_detail_permissions(client_for: Any, role: str, zhang: CustomerProfile) -> None:
    response = client_for(role).get(customer_url(zhang.pk))
    assert response.status_code == READ_STATUS[role], response.content
    if response.status_code == 200:
        assert response.json()["external_id"] == zhang.external_id
        assert response.json()["display_name"] == "张三"
    else:
        assert "external_id" not in response.json()


def test_a_customer_reads_no_customer_not_even_themself(make_user: Any, zhang: CustomerProfile) -> None:
    me = make_user("customer")
    client = Client()
    client.force_login(me)
    assert_error(client.get(customer_url(me.customer_profile.pk)), 403, "permission_denied")
    assert_error(client.get(customer_url(zhang.pk)), 403, "permission_denied")
    assert_error(client.get(f"{CUSTOMERS_URL}?phone=13812345678"), 403, "permission_denied")


@pytest.mark.parametrize("role", ["agent", "qa", "integrator", "supervisor", "admin"])
def test_pii_is_masked_unless_the_role_may_see_it(client_for: Any, role: str, zhang: CustomerProfile) -> None:
    client = client_for(role)
    body = client.get(customer_url(zhang.pk)).json()
    if role in SEES_PII:
        assert (body["phone"], body["email"], body["address"]) == (
            "13812345678", "zhangsan@example.com", "浙江省杭州市西湖区文三路 100 号")
    else:
        assert body["phone"] == "138****5678"
        assert body["email"] == "z***@example.com"
        assert body["address"].endswith("****") and "文三路" not in body["address"]
    listed = next(row for row in client.get(CUSTOMERS_URL).json()["results"] if row["id"] == zhang.pk)
    assert listed["phone"] == body["phone"]


def test_detail_has_every_documented_field(client_for: Any, zhang: CustomerProfile) -> None:
    body = client_for("supervisor").get(customer_url(zhang.pk)).json()
    assert set(body) == {"id", "external_id", "display_name", "phone", "email", "address", "vip_level", "tags",
                         "created_at", "updated_at"}
    assert body["vip_level"] == 3
    assert body["tags"] == ["复购"]


class TestFilters:
    @pytest.fixture
    def others(self) -> list[CustomerProfile]:
        return [
            make_customer(phone="13900000001", email="li@example.com", vip_level=1, tags=["新客"]),
            make_customer(phone="13900000002", email="wang@example.com", vip_level=3, tags=["复购", "投诉"]),
        ]

    def ids(self, client: Any, query: str) -> set[int]:
        response = client.get(f"{CUSTOMERS_URL}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def test_by_phone_uses_the_blind_index(self, client_for: Any, zhang: CustomerProfile, others: Any) -> None:
        client = client_for("agent")
        assert self.ids(client, "phone=13812345678") == {zhang.pk}
        assert self.ids(client, "phone=%2B86%20138%201234%205678") == {zhang.pk}
        assert self.ids(client, "phone=1381234") == set()  # exact only: no partial matches

    def test_by_email_is_exact_and_case_insensitive(self, client_for: Any, zhang: CustomerProfile,
                                                    others: Any) -> None:
        client = client_for("agent")
        assert self.ids(client, "email=ZhangSan@Example.com") == {zhang.pk}
        assert self.ids(client, "email=zhangsan@example") == set()

    def test_by_vip_level_and_tag(self, client_for: Any, zhang: CustomerProfile, others: Any) -> None:
        client = client_for("agent")
        assert self.ids(client, "vip_level=3") == {zhang.pk, others[1].pk}
        assert self.ids(client, "tag=复购") == {zhang.pk, others[1].pk}
        assert self.ids(client, "tag=复购&vip_level=3&phone=13900000002") == {others[1].pk}
        assert self.ids(client, "tag=没有") == set()

    def test_bad_filter_value_names_the_field(self, client_for: Any) -> None:
        error = assert_error(client_for("agent").get(f"{CUSTOMERS_URL}?vip_level=9"), 400, "invalid")
        assert list(error["fields"]) == ["vip_level"]

    def test_the_phone_filter_never_touches_ciphertext(self, client_for: Any, zhang: CustomerProfile) -> None:
        with CaptureQueriesContext(connection) as queries:
            client_for("agent").get(f"{CUSTOMERS_URL}?phone=13812345678")
        listing = [q["sql"] for q in queries.captured_queries if '"profiles_customerprofile"' in q["sql"]]
        assert listing and all("phone_index" in sql and "LIKE" not in sql.upper() for sql in listing)


def test_cursor_pagination_follows_next(client_for: Any) -> None:
    client = client_for("agent")
    created = [make_customer() for _ in range(3)]
    seen: list[int] = []
    url: str | None = f"{CUSTOMERS_URL}?page_size=2"
    pages = 0
    while url:
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}
        assert len(body["results"]) <= 2
        seen.extend(row["id"] for row in body["results"])
        url = body["next"] and urlsplit(body["next"])._replace(scheme="", netloc="").geturl()
        pages += 1
    assert pages == 2
    assert seen == sorted(seen, reverse=True)  # newest first, no repeats
    assert set(seen) == {profile.pk for profile in created}
    assert "count" not in body  # no COUNT(*) over the table
    assert body["previous"]  # the last page links back to the first
    back = client.get(urlsplit(body["previous"])._replace(scheme="", netloc="").geturl()).json()
    assert [row["id"] for row in back["results"]] == seen[:2] and back["previous"] is None and back["next"]


@pytest.mark.parametrize("customers", [5, 25])
@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_list_query_count_is_constant(client_for: Any, django_assert_max_num_queries: Any, customers: int,
                                      role: str) -> None:
    client = client_for(role)
    for _ in range(customers):
        make_customer(tags=["复购"])
    client.get(f"{CUSTOMERS_URL}?page_size=1")  # warm the configuration cache first, as on a running site
    # Session, user, the user's groups (roles and permissions), the page itself, and for PII holders one audit
    # entry: none per row.
    with django_assert_max_num_queries(5 if role == "supervisor" else 4):
        response = client.get(f"{CUSTOMERS_URL}?page_size=50")
    assert len(response.json()["results"]) == customers
