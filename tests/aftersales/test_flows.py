"""A full flow for each request type through the services, with the timeline and history it leaves."""

from typing import Any

import pytest

from aftersales.models import AfterSalesRequest, Refund, Status
from aftersales.services import requests
from aftersales.workflow import WORKFLOW, Actor
from core.workflow import TransitionNotAllowed
from tests.aftersales.factories import apply, make_order, photo

pytestmark = pytest.mark.django_db


def timeline(request: AfterSalesRequest) -> list[str]:
    return list(request.events.order_by("id").values_list("to_status", flat=True))


def test_number_format_and_daily_sequence(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    store, _ = store_and_staff
    first = apply(make_order(customer=customer, store=store))
    second = apply(make_order(customer=customer, store=store))
    assert first.number.startswith("AS") and len(first.number) == 15
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_refund_of_an_unshipped_order_is_approved_and_paid_at_once(customer: Any, gateway: Any,
                                                                  django_capture_on_commit_callbacks: Any) -> None:
    order = make_order(customer=customer, shipped=False)
    with django_capture_on_commit_callbacks(execute=True):
        request = apply(order, request_type="refund_only", reason="not-wanted")
        # The refund row is written before the gateway is called (which happens only after the commit).
        assert Refund.objects.get(request=request).status == Refund.Status.PENDING
        assert gateway.calls == []
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert timeline(request) == ["submitted", "approved", "refunding", "refunded", "closed"]
    refund = Refund.objects.get(request=request)
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount_fen == 19_900
    assert gateway.calls == [refund.idempotency_key]


def test_return_and_refund_full_flow(customer: Any, store_and_staff: Any, gateway: Any,
                                     django_capture_on_commit_callbacks: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store), amount_fen=15_000)
    assert request.status == Status.MERCHANT_REVIEW and request.due_at is not None
    request = requests.request_approve(request=request, user=staff)
    assert request.status == Status.AWAITING_RETURN and request.due_at is not None
    request = requests.request_ship_return(request=request, user=customer, courier="ZTO",
                                           tracking_number="zt7890123456")
    assert request.return_tracking_number == "ZT7890123456" and request.due_at is None
    request = requests.request_receive(request=request, user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        request = requests.request_inspect(request=request, user=staff, passed=True, notes="完好",
                                           restock_quantity=1)
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.restock_quantity == 1
    assert timeline(request) == ["submitted", "merchant_review", "approved", "awaiting_return", "in_transit",
                                 "received", "inspected", "refunding", "refunded", "closed"]
    assert Refund.objects.get(request=request).amount_fen == 15_000  # a partial refund
    # Every step is in history with the actor who took it.
    approved = request.history.filter(status=Status.APPROVED).get()
    assert approved.history_user_id == staff.pk


def test_exchange_flow(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store, category="apparel"), request_type="exchange",
                    reason="size")
    request = requests.request_approve(request=request, user=staff)
    request = requests.request_ship_return(request=request, user=customer, courier="YTO", tracking_number="YT123456")
    request = requests.request_receive(request=request, user=staff)
    request = requests.request_inspect(request=request, user=staff, passed=True, notes="", restock_quantity=1)
    assert request.status == Status.INSPECTED
    request = requests.request_ship_replacement(request=request, user=staff, courier="SF", tracking_number="SF99887766")
    request = requests.request_confirm(request=request, user=customer)
    assert request.status == Status.CLOSED
    assert not Refund.objects.exists() and gateway.calls == []


def test_repair_flow(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store, signed_days_ago=200), request_type="repair",
                    reason="fault")
    request = requests.request_approve(request=request, user=staff)
    request = requests.request_ship_return(request=request, user=customer, courier="JD", tracking_number="JD0012345")
    request = requests.request_receive(request=request, user=staff)
    request = requests.request_inspect(request=request, user=staff, passed=True, notes="主板故障", restock_quantity=0)
    request = requests.request_mark_repaired(request=request, user=staff, note="更换主板")
    request = requests.request_confirm(request=request, user=customer)
    assert request.status == Status.CLOSED and request.amount_fen == 0


def test_complaint_flow(customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store), request_type="complaint", reason="delivery")
    request = requests.request_approve(request=request, user=staff)
    assert request.status == Status.APPROVED
    request = requests.request_resolve(request=request, user=staff, actor=Actor.MERCHANT, note="已补偿优惠券")
    assert request.status == Status.CLOSED


def test_refund_only_after_shipment_with_photos(customer: Any, store_and_staff: Any, gateway: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store), request_type="refund_only", reason="missing-parts",
                    amount_fen=5_000, images=[photo(), photo("b.jpg", fmt="JPEG")])
    assert request.evidence.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        request = requests.request_approve(request=request, user=staff)
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert Refund.objects.get(request=request).status == Refund.Status.SUCCEEDED


def test_rejection_appeal_and_arbitration(customer: Any, store_and_staff: Any, make_user: Any, gateway: Any) -> None:
    store, staff = store_and_staff
    agent = make_user("agent")
    request = apply(make_order(customer=customer, store=store), reason="quality", images=[photo()])
    request = requests.request_reject(request=request, user=staff, reason="人为损坏")
    assert request.rejection_reason == "人为损坏"
    request = requests.request_appeal(request=request, user=customer, reason="收到即损坏 有开箱视频")
    assert request.status == Status.ARBITRATION
    request = requests.request_arbitrate(request=request, user=agent, approve=True, note="支持买家")
    assert request.status == Status.AWAITING_RETURN
    assert request.events.filter(actor_kind=Actor.PLATFORM, actor=agent).exists()


def test_failed_inspection_rejects_and_the_customer_can_appeal(customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store))
    request = requests.request_approve(request=request, user=staff)
    request = requests.request_ship_return(request=request, user=customer, courier="STO", tracking_number="ST1234567")
    request = requests.request_receive(request=request, user=staff)
    request = requests.request_inspect(request=request, user=staff, passed=False, notes="吊牌已拆", restock_quantity=0)
    assert request.status == Status.REJECTED and request.rejection_reason == "吊牌已拆"
    assert requests.request_appeal(request=request, user=customer, reason="吊牌未拆").status == Status.ARBITRATION


def test_customer_may_cancel_before_shipping_the_return_only(customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store))
    request = requests.request_approve(request=request, user=staff)
    cancelled = requests.request_cancel(request=request, user=customer)
    assert cancelled.status == Status.CANCELLED
    # Cancelled frees the item for a new request.
    again = apply(request.order)
    again = requests.request_approve(request=again, user=staff)
    again = requests.request_ship_return(request=again, user=customer, courier="EMS", tracking_number="EM12345678")
    with pytest.raises(TransitionNotAllowed) as caught:
        requests.request_cancel(request=again, user=customer)
    assert caught.value.current == Status.IN_TRANSIT and caught.value.allowed == []


def test_steps_out_of_order_and_wrong_actors_are_refused(customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store))
    with pytest.raises(TransitionNotAllowed):
        requests.request_receive(request=request, user=staff)
    with pytest.raises(TransitionNotAllowed) as caught:
        WORKFLOW.transition(request, to=Status.APPROVED, by=Actor.CUSTOMER, actor=customer)
    assert caught.value.allowed == ["cancelled"]
    request.refresh_from_db()
    assert request.status == Status.MERCHANT_REVIEW
