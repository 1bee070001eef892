"""The after-sales API: order upsert for integrators, and requests for customers, merchants and agents."""

import copy
from typing import Any

import pytest
from django.test import Client

from aftersales.models import AfterSalesRequest, Order, OrderItem, Status
from profiles.models import User
from tests.aftersales.factories import apply, make_order, photo
from tests.api.helpers import API_ROLES, assert_error, post_json
from tests.clients import logged_in
from tests.factories import CustomerProfileFactory, StoreFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
REQUESTS = "/api/v1/aftersales-requests/"



@pytest.fixture
def order_body(reference: None) -> dict[str, Any]:
    customer = CustomerProfileFactory.create(external_id="SHOP-C00042")
    store = StoreFactory.create(code="migo-test")
    assert customer and store
    return {
        "external_id": "TB-20261120-0001", "number": "2026112012345678", "customer_external_id": "SHOP-C00042",
        "store_code": "migo-test", "amount_fen": 329_900, "status": "signed",
        "paid_at": "2026-11-20T10:00:00+08:00", "created_at": "2026-11-20T09:58:00+08:00",
        "items": [
            {"sku": "MG-PHONE-13-256", "product_name": "米果 13 手机 256G 曜石黑", "category_code": "digital",
             "quantity": 1, "unit_price_fen": 299_900, "paid_fen": 299_900},
            {"sku": "MG-CASE-13", "product_name": "米果 13 硅胶保护壳", "category_code": "digital",
             "quantity": 2, "unit_price_fen": 15_000, "paid_fen": 30_000},
        ],
        "shipments": [{"courier": "SF", "tracking_number": "SF1400123456789",
                       "shipped_at": "2026-11-20T18:00:00+08:00", "signed_at": "2026-11-22T11:30:00+08:00"}],
    }


@pytest.fixture
def integrator(make_user: Any) -> Client:
    return logged_in(make_user("integrator"))


@pytest.mark.parametrize("role", API_ROLES)
def test_order_upsert_permissions(client_for: Any, role: str, order_body: dict[str, Any]) -> None:
    expected = {"anonymous": 401, "integrator": 201, "admin": 201}.get(role, 403)
    assert post_json(client_for(role), ORDERS, order_body).status_code == expected
    assert client_for(role).get(ORDERS).status_code == (200 if expected == 201 else expected)


def test_order_upsert_is_idempotent(integrator: Client, order_body: dict[str, Any]) -> None:
    first = post_json(integrator, ORDERS, order_body)
    assert first.status_code == 201
    body = first.json()
    assert body["signed_at"].startswith("2026-11-22T11:30:00")
    assert [item["sku"] for item in body["items"]] == ["MG-CASE-13", "MG-PHONE-13-256"]
    second = post_json(integrator, ORDERS, order_body)
    assert second.status_code == 200
    assert second.json() == body
    order = Order.objects.get()
    assert order.history.count() == 1
    assert OrderItem.objects.count() == 2 and OrderItem.history.count() == 2


def test_order_upsert_merges_items_by_sku(integrator: Client, order_body: dict[str, Any]) -> None:
    post_json(integrator, ORDERS, order_body)
    changed = copy.deepcopy(order_body)
    changed["items"] = [changed["items"][0], {**changed["items"][1], "sku": "MG-FILM-13", "product_name": "钢化膜"}]
    changed["items"][0]["paid_fen"] = 289_900
    body = post_json(integrator, ORDERS, changed).json()
    assert {i["sku"]: i["paid_fen"] for i in body["items"]} == {"MG-FILM-13": 30_000, "MG-PHONE-13-256": 289_900}
    phone = OrderItem.objects.get(sku="MG-PHONE-13-256")
    assert phone.history.count() == 2  # created, then the one real change


def test_order_upsert_honours_idempotency_key(integrator: Client, order_body: dict[str, Any]) -> None:
    first = post_json(integrator, ORDERS, order_body, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = post_json(integrator, ORDERS, order_body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == first.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert_error(post_json(integrator, ORDERS, {**order_body, "amount_fen": 1}, HTTP_IDEMPOTENCY_KEY="k-1"), 422,
                 "idempotency_key_reused")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_external_id": "NOBODY"}, "customer_external_id"),
        ({"store_code": "no-such-store"}, "store_code"),
        ({"items": []}, "items"),
        ({"amount_fen": -1}, "amount_fen"),
        ({"amount_fen": 100}, "items"),
        ({"status": "lost"}, "status"),
        ({"shipments": [{"courier": "UPS", "tracking_number": "1Z999"}]}, "shipments"),
        ({"shipments": [{"courier": "SF", "tracking_number": "SF12345678", "signed_at": "2026-11-22T11:30:00Z"}]},
         "shipments"),
    ],
)
def test_bad_order_payloads_get_field_errors(integrator: Client, order_body: dict[str, Any], change: dict[str, Any],
                                             field: str) -> None:
    error = assert_error(post_json(integrator, ORDERS, {**order_body, **change}), 400, "invalid")
    assert field in error["fields"]
    assert not Order.objects.exists()


def test_duplicate_skus_are_refused(integrator: Client, order_body: dict[str, Any]) -> None:
    order_body["items"].append(dict(order_body["items"][0]))
    assert "items" in assert_error(post_json(integrator, ORDERS, order_body), 400, "invalid")["fields"]


# --- Requests ---------------------------------------------------------------------------------------


@pytest.fixture
def scene(customer: User, store_and_staff: Any, make_user: Any) -> dict[str, Any]:
    store, staff = store_and_staff
    order = make_order(customer=customer, store=store)
    request = apply(order)
    other = apply(make_order(customer=make_user("customer")))  # another customer, another store
    return {"customer": customer, "staff": staff, "order": order, "request": request, "other": other}


def detail(number: str) -> str:
    return f"{REQUESTS}{number}/"


@pytest.mark.parametrize("role", ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin"])
def test_request_detail_across_roles(client_for: Any, role: str, scene: dict[str, Any]) -> None:
    response = client_for(role).get(detail(scene["request"].number))
    # A stranger's request is indistinguishable from no request; platform roles see every request.
    expected = {"anonymous": 401, "agent": 200, "supervisor": 200, "qa": 200, "admin": 200}.get(role, 404)
    assert response.status_code == expected


def test_customer_and_merchant_see_their_own_only(scene: dict[str, Any]) -> None:
    for user in (scene["customer"], scene["staff"]):
        client = logged_in(user)
        numbers = [row["number"] for row in client.get(REQUESTS).json()["results"]]
        assert numbers == [scene["request"].number]
        assert client.get(detail(scene["other"].number)).status_code == 404
    body = logged_in(scene["staff"]).get(detail(scene["request"].number)).json()
    assert body["actions"] == ["approve", "reject"]
    assert [e["to_status"] for e in body["events"]] == ["submitted", "merchant_review"]


def test_create_request_with_photos_and_idempotency_key(customer: User, store_and_staff: Any) -> None:
    order = make_order(customer=customer, store=store_and_staff[0])
    item = order.items.get()
    client = logged_in(customer)
    form = {"item": item.pk, "request_type": "return_refund", "reason": "quality", "amount_fen": 9_900,
            "images": [photo(), photo("b.png")]}
    response = client.post(REQUESTS, data=form, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "merchant_review" and body["amount_fen"] == 9_900
    assert AfterSalesRequest.objects.get().evidence.count() == 2
    form["images"] = [photo(), photo("b.png")]
    replay = client.post(REQUESTS, data=form, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["number"] == body["number"]
    assert AfterSalesRequest.objects.count() == 1


def test_ineligible_request_is_400_with_reason_codes(customer: User, store_and_staff: Any) -> None:
    order = make_order(customer=customer, store=store_and_staff[0], signed_days_ago=10, category="fresh")
    body = {"item": order.items.get().pk, "request_type": "return_refund", "reason": "no-reason",
            "amount_fen": 100}
    error = assert_error(post_json(logged_in(customer), REQUESTS, body), 400, "category_excluded")
    assert set(error["fields"]) == {"reason"} and len(error["fields"]["reason"]) == 2
    body["amount_fen"] = 10**9
    error = assert_error(post_json(logged_in(customer), REQUESTS, {**body, "reason": "quality"}), 400,
                         "amount_exceeds_refundable")
    assert not AfterSalesRequest.objects.exists()


def test_someone_elses_item_is_404(scene: dict[str, Any], make_user: Any) -> None:
    body = {"item": scene["order"].items.get().pk, "request_type": "complaint", "reason": "fake"}
    assert_error(post_json(logged_in(make_user("customer")), REQUESTS, body), 404, "not_found")


def test_transitions_and_409_with_allowed_steps(scene: dict[str, Any]) -> None:
    number = scene["request"].number
    staff, customer = logged_in(scene["staff"]), logged_in(scene["customer"])
    error = assert_error(post_json(staff, f"{detail(number)}transition/", {"action": "receive"}), 409,
                         "invalid_transition")
    assert error["fields"]["allowed"] == ["approve", "reject"]
    assert_error(post_json(customer, f"{detail(number)}transition/", {"action": "approve"}), 403, "permission_denied")
    assert "reason" in assert_error(post_json(staff, f"{detail(number)}transition/", {"action": "reject"}), 400,
                                    "invalid")["fields"]
    body = post_json(staff, f"{detail(number)}transition/", {"action": "approve"}).json()
    assert body["status"] == Status.AWAITING_RETURN
    bad = post_json(customer, f"{detail(number)}transition/",
                    {"action": "ship_return", "courier": "UPS", "tracking_number": "1234567"})
    assert "courier" in assert_error(bad, 400, "invalid")["fields"]
    body = post_json(customer, f"{detail(number)}transition/",
                     {"action": "ship_return", "courier": "SF", "tracking_number": "SF1234567890"}).json()
    assert body["status"] == Status.IN_TRANSIT and body["actions"] == []


def test_merchant_of_another_store_gets_404_on_transition(scene: dict[str, Any], make_user: Any) -> None:
    stranger = logged_in(make_user("merchant_staff"))
    response = post_json(stranger, f"{detail(scene['request'].number)}transition/", {"action": "approve"})
    assert_error(response, 404, "not_found")
    scene["request"].refresh_from_db()
    assert scene["request"].status == Status.MERCHANT_REVIEW


def test_request_list_query_count_is_constant(scene: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    client = logged_in(scene["customer"])
    with django_assert_max_num_queries(10) as before:
        client.get(REQUESTS)
    for _ in range(5):
        apply(make_order(customer=scene["customer"]), request_type="complaint", reason="fake")
    with django_assert_max_num_queries(10) as after:
        assert len(client.get(REQUESTS).json()["results"]) == 6
    assert len(after.captured_queries) == len(before.captured_queries)
