"""The eligibility matrix: request type x days since signing x category x order state, and evidence."""

from typing import Any

import pytest

from aftersales.models import CategoryPolicy
from aftersales.services.requests import NotEligible
from tests.aftersales.factories import apply, make_order, photo

pytestmark = pytest.mark.django_db

NOT_SHIPPED, NOT_SIGNED = "not_shipped", "not_signed"


def problems(customer: Any, *, days: float | str, category: str = "digital", request_type: str = "return_refund",
             reason: str = "no-reason", images: int = 0, **extra: Any) -> list[str]:
    if days == NOT_SHIPPED:
        order = make_order(customer=customer, shipped=False, category=category)
    elif days == NOT_SIGNED:
        order = make_order(customer=customer, signed_days_ago=None, category=category)
    else:
        order = make_order(customer=customer, signed_days_ago=float(days), category=category)
    try:
        apply(order, request_type=request_type, reason=reason, images=[photo() for _ in range(images)], **extra)
    except NotEligible as exc:
        return [problem.code for problem in exc.problems]
    return []


@pytest.mark.parametrize(
    ("request_type", "reason", "days", "category", "images", "expected"),
    [
        # 7-day no-reason return, counted from the signed-for date.
        ("return_refund", "no-reason", 0.5, "digital", 0, []),
        ("return_refund", "no-reason", 6.9, "apparel", 0, []),
        ("return_refund", "no-reason", 7.1, "apparel", 0, ["no_reason_window_passed"]),
        ("return_refund", "no-reason", 2, "customized", 0, ["category_excluded"]),
        ("return_refund", "no-reason", 2, "fresh", 0, ["category_excluded"]),
        ("return_refund", "no-reason", 9, "fresh", 0, ["category_excluded", "no_reason_window_passed"]),
        ("return_refund", "no-reason", NOT_SIGNED, "digital", 0, ["not_received"]),
        ("return_refund", "no-reason", NOT_SHIPPED, "digital", 0, ["not_received"]),
        # Quality problems within 15 days, with photos.
        ("return_refund", "quality", 14, "fresh", 1, []),
        ("return_refund", "quality", 15.5, "digital", 1, ["quality_window_passed"]),
        ("return_refund", "quality", 3, "digital", 0, ["evidence_required"]),
        ("return_refund", "damaged", 3, "digital", 9, []),
        ("return_refund", "damaged", 3, "digital", 10, ["too_many_images"]),
        ("exchange", "size", 3, "apparel", 0, []),
        ("exchange", "size", 8, "apparel", 0, ["no_reason_window_passed"]),
        ("exchange", "quality", 10, "underwear", 1, []),
        # Repair within the warranty of the category.
        ("repair", "fault", 300, "digital", 0, []),
        ("repair", "fault", 400, "digital", 0, ["warranty_expired"]),
        ("repair", "fault", 400, "appliance", 0, []),
        ("repair", "fault", 1, "apparel", 0, ["warranty_expired"]),
        ("repair", "fault", NOT_SIGNED, "digital", 0, ["not_received"]),
        # Refund only: at once before shipping, reviewed after.
        ("refund_only", "not-wanted", NOT_SHIPPED, "fresh", 0, []),
        ("refund_only", "not-received", NOT_SIGNED, "digital", 0, []),
        ("refund_only", "missing-parts", 2, "digital", 0, ["evidence_required"]),
        ("complaint", "fake", 200, "digital", 0, []),
        # A reason of another type.
        ("repair", "no-reason", 2, "digital", 0, ["reason_mismatch"]),
    ],
)
def test_matrix(customer: Any, request_type: str, reason: str, days: Any, category: str, images: int,
                expected: list[str], gateway: Any) -> None:
    assert problems(customer, days=days, category=category, request_type=request_type, reason=reason,
                    images=images) == expected


def test_opened_digital_goods_have_no_no_reason_return(customer: Any) -> None:
    assert problems(customer, days=2, category="digital", package_opened=True) == ["opened_goods"]
    assert problems(customer, days=2, category="apparel", package_opened=True) == []


def test_the_policy_is_data(customer: Any) -> None:
    CategoryPolicy.objects.filter(category_code="apparel").update(no_reason_days=15)
    assert problems(customer, days=10, category="apparel") == []


def test_unknown_categories_follow_the_default_policy(customer: Any) -> None:
    assert problems(customer, days=3, category="books") == []
    assert problems(customer, days=8, category="books") == ["no_reason_window_passed"]


def test_amount_and_quantity_limits(customer: Any) -> None:
    order = make_order(customer=customer, paid_fen=10_000, quantity=2)
    with pytest.raises(NotEligible) as caught:
        apply(order, amount_fen=10_001, quantity=3)
    assert [p.code for p in caught.value.problems] == ["quantity_exceeds", "amount_exceeds_refundable"]
    assert caught.value.fields.keys() == {"quantity", "amount_fen"}
    assert not order.requests.exists()


def test_one_active_request_per_item_and_nothing_half_written(customer: Any) -> None:
    order = make_order(customer=customer)
    apply(order)
    with pytest.raises(NotEligible) as caught:
        apply(order, request_type="complaint", reason="fake")
    assert caught.value.code == "active_request_exists"
    assert order.requests.count() == 1


def test_cancelled_orders_are_not_eligible(customer: Any) -> None:
    order = make_order(customer=customer)
    order.status = "cancelled"
    order.save()
    with pytest.raises(NotEligible) as caught:
        apply(order)
    assert caught.value.code == "order_cancelled"
