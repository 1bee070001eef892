"""POST /api/v1/customers/: the integrator upsert by external_id, its validation and its atomicity."""

from typing import Any

import pytest
from django.db import IntegrityError
from django.test import Client

from core import events
from profiles import services
from profiles.models import CustomerProfile, User
from tests.api.helpers import API_ROLES, CUSTOMERS_URL, assert_error, customer_url, post_json, upsert_body

pytestmark = pytest.mark.django_db

# Upsert needs add_ and change_customerprofile: supervisors may change but not add, so they are refused.
WRITE_STATUS = {
    "anonymous": 401,
    "customer": 403,
    "agent": 403,
    "supervisor": 403,
    "qa": 403,
    "merchant_staff": 403,
    "admin": 201,
    "integrator": 201,
}


def counts() -> tuple[int, int]:
    return User.objects.count(), CustomerProfile.objects.count()


@pytest.mark.parametrize("role", API_ROLES)
def test_upsert_permissions(client_for: Any, role: str) -> None:
    client = client_for(role)
    response = post_json(client, CUSTOMERS_URL, upsert_body())
    assert response.status_code == WRITE_STATUS[role], response.content
    exists = CustomerProfile.objects.filter(external_id="SHOP-1001").exists()
    assert exists is (WRITE_STATUS[role] == 201)
    if not exists:
        assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}


def test_create_then_update_by_external_id(client_for: Any) -> None:
    client = client_for("integrator")
    before = counts()
    created = post_json(client, CUSTOMERS_URL, upsert_body())
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "external_id", "display_name", "phone", "email", "address", "vip_level", "tags",
                         "created_at", "updated_at"}
    assert (body["external_id"], body["display_name"], body["vip_level"], body["tags"]) == (
        "SHOP-1001", "张三", 2, ["复购", "大促"])
    assert counts() == (before[0] + 1, before[1] + 1)

    profile = CustomerProfile.objects.select_related("user").get(pk=body["id"])
    assert (profile.user.phone, profile.user.email) == ("13812345678", "zhangsan@example.com")
    assert profile.address == "浙江省杭州市西湖区文三路 100 号 3 单元 501"
    assert profile.user.role_names == {"customer"}

    updated = post_json(client, CUSTOMERS_URL, upsert_body(display_name="张三丰", phone="+86 13900001111",
                                                           vip_level=4, tags=["钻石"]))
    assert updated.status_code == 200, updated.content
    assert updated.json()["id"] == body["id"]
    assert counts() == (before[0] + 1, before[1] + 1)
    profile.refresh_from_db()
    profile.user.refresh_from_db()
    assert (profile.user.display_name, profile.user.phone, profile.vip_level, profile.tags) == (
        "张三丰", "13900001111", 4, ["钻石"])
    # The blind index follows the new number; the old one no longer finds the customer.
    assert User.objects.get_by_phone("13900001111") == profile.user
    supervisor = client_for("supervisor")
    assert supervisor.get(f"{CUSTOMERS_URL}?phone=13812345678").json()["results"] == []
    assert [row["id"] for row in supervisor.get(f"{CUSTOMERS_URL}?phone=13900001111").json()["results"]] == [
        body["id"]]


def test_upsert_publishes_one_event_after_commit(client_for: Any, django_capture_on_commit_callbacks: Any) -> None:
    heard: list[events.DomainEvent] = []
    events.subscribe("customer.upserted", heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_json(client_for("integrator"), CUSTOMERS_URL, upsert_body())
    finally:
        events.unsubscribe("customer.upserted", heard.append)
    assert [(event.payload["customer_id"], event.payload["created"]) for event in heard] == [
        (response.json()["id"], True)]


def test_response_masks_pii_for_an_integrator_without_view_pii(client_for: Any) -> None:
    body = post_json(client_for("integrator"), CUSTOMERS_URL, upsert_body()).json()
    assert body["phone"] == "138****5678"
    assert body["email"] == "z***@example.com"
    assert body["address"] == "浙江省杭州市****"


def test_response_is_clear_for_an_admin(client_for: Any) -> None:
    body = post_json(client_for("admin"), CUSTOMERS_URL, upsert_body()).json()
    assert (body["phone"], body["email"]) == ("13812345678", "zhangsan@example.com")


def test_optional_fields_default_when_left_out(client_for: Any) -> None:
    body = post_json(client_for("integrator"), CUSTOMERS_URL, {"external_id": "MIN-1", "display_name": "李四"}).json()
    assert (body["phone"], body["email"], body["address"], body["vip_level"], body["tags"]) == ("", "", "", 0, [])


def test_duplicate_tags_are_collapsed(client_for: Any) -> None:
    body = post_json(client_for("integrator"), CUSTOMERS_URL, upsert_body(tags=["a", "b", "a"])).json()
    assert body["tags"] == ["a", "b"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "12812345678"}, "phone"),  # second digit must be 3-9
        ({"phone": "+1 4155550100"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"external_id": None}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 65}, "external_id"),
        ({"display_name": None}, "display_name"),
        ({"vip_level": 9}, "vip_level"),
        ({"vip_level": -1}, "vip_level"),
        ({"vip_level": "gold"}, "vip_level"),
        ({"tags": "vip"}, "tags"),
        ({"tags": {"a": 1}}, "tags"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"tags": ["x" * 31]}, "tags"),
        ({"address": "路" * 301}, "address"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(client_for: Any, change: dict[str, Any],
                                                              field: str) -> None:
    client = client_for("integrator")
    body = upsert_body(**change)
    body = {key: value for key, value in body.items() if value is not None}
    before = counts()
    error = assert_error(post_json(client, CUSTOMERS_URL, body), 400, "invalid")
    assert list(error["fields"]) == [field]
    assert counts() == before


def test_bad_input_on_update_leaves_the_customer_unchanged(client_for: Any) -> None:
    client = client_for("integrator")
    profile_id = post_json(client, CUSTOMERS_URL, upsert_body()).json()["id"]
    assert_error(post_json(client, CUSTOMERS_URL, upsert_body(display_name="新名字", phone="999")), 400, "invalid")
    assert CustomerProfile.objects.select_related("user").get(pk=profile_id).user.display_name == "张三"


def test_body_must_be_an_object(client_for: Any) -> None:
    error = assert_error(post_json(client_for("integrator"), CUSTOMERS_URL, ["SHOP-1"]), 400, "invalid")
    assert "non_field_errors" in error["fields"]


def test_failure_inside_the_service_rolls_back_the_new_user(make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(make_user("integrator"))
    before = counts()
    user_row_written: list[bool] = []

    def fail_after_the_user_row(self: CustomerProfile, *args: Any, **kwargs: Any) -> None:
        user_row_written.append(User.objects.filter(username="ext-SHOP-1001").exists())
        raise RuntimeError("disk full")

    monkeypatch.setattr(CustomerProfile, "save", fail_after_the_user_row)
    response = post_json(client, CUSTOMERS_URL, upsert_body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 500
    monkeypatch.undo()
    assert user_row_written == [True]
    assert counts() == before
    assert not User.objects.filter(username="ext-SHOP-1001").exists()
    # Nothing remembered the failed attempt: the same key works once the fault is gone.
    assert post_json(client, CUSTOMERS_URL, upsert_body(), HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201


def test_detail_of_an_upserted_customer(client_for: Any) -> None:
    created = post_json(client_for("integrator"), CUSTOMERS_URL, upsert_body()).json()
    detail = client_for("agent").get(customer_url(created["id"])).json()
    assert detail["external_id"] == "SHOP-1001"
    assert detail["phone"] == "138****5678"


def test_a_lost_race_on_a_new_external_id_is_409_not_500(client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def lose_the_race(**kwargs: Any) -> None:
        raise IntegrityError('duplicate key value violates unique constraint "profiles_user_username_key"')

    monkeypatch.setattr(services, "customer_upsert", lose_the_race)
    assert_error(post_json(client_for("integrator"), CUSTOMERS_URL, upsert_body()), 409, "conflict")
