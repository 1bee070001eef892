"""The refund cap: a part of a line gets its share, never the whole line, on every path that pays."""

from typing import Any

import pytest
from django.utils import timezone

from aftersales import refund_cap
from aftersales.models import AfterSalesRequest, Order, Refund, Status
from aftersales.services import compensation, orders, refunds, requests
from aftersales.services.requests import NotEligible
from core.api import ApplicationError
from tests.aftersales.factories import apply, make_order
from tests.api.helpers import assert_error, post_json
from tests.clients import logged_in
from tests.pages.conftest import page_text

pytestmark = pytest.mark.django_db

PHONE_FEN = 129_900  # ¥1,299 a unit


def two_phones(customer: Any, store: Any) -> Order:
    """2 x ¥1,299 shipped, not yet signed for: a refund-only request goes to the store's review."""
    return make_order(customer=customer, store=store, signed_days_ago=None, quantity=2, paid_fen=2 * PHONE_FEN)


def refund_only(order: Order, *, quantity: int, amount_fen: int) -> AfterSalesRequest:
    return apply(order, request_type="refund_only", reason="not-received", quantity=quantity, amount_fen=amount_fen)


def test_one_of_two_cannot_take_the_whole_line(customer: Any, store_and_staff: Any) -> None:
    order = two_phones(customer, store_and_staff[0])
    with pytest.raises(NotEligible) as caught:
        refund_only(order, quantity=1, amount_fen=2 * PHONE_FEN)  # the over-payment of issue 18
    assert caught.value.code == "amount_exceeds_refundable"
    assert list(caught.value.fields) == ["amount_fen"] and "¥1,299.00" in caught.value.fields["amount_fen"][0]
    assert refund_only(order, quantity=1, amount_fen=PHONE_FEN).amount_fen == PHONE_FEN


def test_the_second_unit_gets_its_share_after_the_first_was_paid(
    customer: Any, store_and_staff: Any, gateway: Any
) -> None:
    store, staff = store_and_staff
    order = two_phones(customer, store)
    first = requests.request_approve(request=refund_only(order, quantity=1, amount_fen=PHONE_FEN), user=staff)
    refunds.refund_start(request_id=first.pk)
    with pytest.raises(NotEligible):
        refund_only(order, quantity=1, amount_fen=PHONE_FEN + 1)
    with pytest.raises(NotEligible):  # asking for both units cannot reach past what is left either
        refund_only(order, quantity=2, amount_fen=PHONE_FEN + 1)
    second = requests.request_approve(request=refund_only(order, quantity=1, amount_fen=PHONE_FEN), user=staff)
    refunds.refund_start(request_id=second.pk)
    assert sum(Refund.objects.values_list("amount_fen", flat=True)) == 2 * PHONE_FEN
    item = order.items.get()
    assert refund_cap.refund_cap(item, quantity=1) == 0


def test_rounding_down_leaves_the_odd_fen_to_the_last_unit(
    customer: Any, store_and_staff: Any, gateway: Any
) -> None:
    store, staff = store_and_staff
    order = make_order(customer=customer, store=store, signed_days_ago=None, quantity=3, paid_fen=1_000)
    paid = []
    for expected in (333, 333, 334):
        item = order.items.get()
        assert refund_cap.refund_cap(item, quantity=1) == expected
        request = requests.request_approve(request=refund_only(order, quantity=1, amount_fen=expected), user=staff)
        paid.append(refunds.refund_start(request_id=request.pk).amount_fen)
    assert paid == [333, 333, 334] and sum(paid) == 1_000


def test_shipping_is_not_refunded_through_a_line(customer: Any, store_and_staff: Any) -> None:
    """An order of ¥100 goods + ¥10 postage: the line caps at ¥100."""
    store, _ = store_and_staff
    now = timezone.now()
    order, _ = orders.order_upsert(
        external_id="SHIP-1", number="SHIP-1", customer=customer, store=store, amount_fen=11_000,
        status=Order.Status.SIGNED, paid_at=now, created_at=now, shipments=[orders.ShipmentData(
            courier="SF", tracking_number="SF1234567890", shipped_at=now)],
        items=[orders.ItemData(sku="A", product_name="杯子", category_code="digital", quantity=1,
                               unit_price_fen=12_000, paid_fen=10_000)],
    )
    with pytest.raises(NotEligible):
        refund_only(order, quantity=1, amount_fen=10_001)
    assert refund_only(order, quantity=1, amount_fen=10_000).amount_fen == 10_000


def test_approval_after_a_resync_lowered_the_line_is_refused_naming_the_field(
    customer: Any, store_and_staff: Any
) -> None:
    store, staff = store_and_staff
    order = two_phones(customer, store)
    request = refund_only(order, quantity=2, amount_fen=2 * PHONE_FEN)
    order.items.update(paid_fen=PHONE_FEN)  # the shop corrected the price after the application
    with pytest.raises(ApplicationError) as caught:
        requests.request_approve(request=request, user=staff)
    assert caught.value.code == "amount_exceeds_refundable" and list(caught.value.fields) == ["amount_fen"]
    request.refresh_from_db()
    assert request.status == Status.MERCHANT_REVIEW and not Refund.objects.exists()


def test_the_deadline_sweep_passes_an_over_cap_request_to_the_platform(
    customer: Any, store_and_staff: Any, settings: Any
) -> None:
    order = two_phones(customer, store_and_staff[0])
    request = refund_only(order, quantity=2, amount_fen=2 * PHONE_FEN)
    order.items.update(paid_fen=PHONE_FEN)
    assert requests.requests_sweep_due(now=request.due_at) == 1
    request.refresh_from_db()
    assert request.status == Status.ARBITRATION and not Refund.objects.exists()


def test_advance_compensation_uses_the_same_cap(customer: Any, store_and_staff: Any, make_user: Any) -> None:
    order = two_phones(customer, store_and_staff[0])
    request = apply(order, request_type="refund_only", reason="not-received", quantity=2, amount_fen=2 * PHONE_FEN)
    order.items.update(paid_fen=PHONE_FEN)
    with pytest.raises(ApplicationError) as caught:
        compensation.compensate_in_advance(request=request, user=make_user("agent"), note="快递丢件")
    assert caught.value.code in {"amount_exceeds_refundable", "over_compensation_limit"}
    assert not Refund.objects.exists()


def test_a_retried_decline_is_checked_again(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    store, staff = store_and_staff
    order = two_phones(customer, store)
    request = requests.request_approve(request=refund_only(order, quantity=2, amount_fen=2 * PHONE_FEN),
                                       user=staff)
    gateway.reset(failures=1)
    refund = refunds.refund_start(request_id=request.pk)
    assert refund.status == Refund.Status.FAILED
    order.items.update(paid_fen=PHONE_FEN)
    with pytest.raises(ApplicationError):
        refunds.refund_retry(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED and gateway.calls == [refund.idempotency_key]


@pytest.mark.parametrize(("amount", "message"), [
    ("2598.00", "1,299.00"),  # over the share of one unit
    ("-1", "0"),  # negative
    ("12.999", "2"),  # a third decimal place: not yuan and fen
])
def test_the_form_names_the_amount_field(customer: Any, store_and_staff: Any, amount: str, message: str) -> None:
    order = two_phones(customer, store_and_staff[0])
    path = f"/aftersales/items/{order.items.get().pk}/apply/"
    client = logged_in(customer)
    page = page_text(client.get(path))
    assert "全部 2 件最多 ¥2,598.00，1 件最多 ¥1,299.00" in page  # noqa: RUF001
    response = client.post(path, {"request_type": "refund_only", "reason": "refund_only:not-received",
                                  "quantity": 1, "amount": amount, "confirm": "on"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["amount"] and message in errors["amount"][0]
    assert not AfterSalesRequest.objects.exists()


@pytest.mark.parametrize("amount_fen", [2 * PHONE_FEN, -1, "1299.5", 12.99])
def test_the_api_names_the_amount_fen_field(customer: Any, store_and_staff: Any, amount_fen: Any) -> None:
    order = two_phones(customer, store_and_staff[0])
    body = {"item": order.items.get().pk, "request_type": "refund_only", "reason": "not-received", "quantity": 1,
            "amount_fen": amount_fen}
    response = post_json(logged_in(customer), "/api/v1/aftersales-requests/", body)
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["amount_fen"]
    assert not AfterSalesRequest.objects.exists()
    if amount_fen == 2 * PHONE_FEN:
        assert_error(response, 400, "amount_exceeds_refundable")


def test_merchant_page_and_api_approval_are_refused_over_the_cap(customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    order = two_phones(customer, store)
    request = refund_only(order, quantity=2, amount_fen=2 * PHONE_FEN)
    order.items.update(paid_fen=PHONE_FEN)
    client = logged_in(staff)
    response = client.post(f"/merchant/requests/{request.number}/action/", {"action": "approve"}, follow=True)
    assert response.status_code == 200 and "¥1,299.00" in page_text(response)
    api = post_json(client, f"/api/v1/aftersales-requests/{request.number}/transition/", {"action": "approve"})
    error = assert_error(api, 400, "amount_exceeds_refundable")
    assert list(error["fields"]) == ["amount_fen"]
    request.refresh_from_db()
    assert request.status == Status.MERCHANT_REVIEW and not Refund.objects.exists()
