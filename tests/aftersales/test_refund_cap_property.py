"""Property: whatever customers, stores and the gateway do, a line never gives back more than was paid,
and units never more than their share of it.

Hypothesis draws an order (one or two lines of up to five units, odd amounts, postage) and a sequence of
steps: applications for any quantity and amount, approvals, rejections, cancellations, gateway
declines and retries. After every step the refunds that moved or may still move money are summed
per line and per order and compared with what was paid.
"""

from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales import payments
from aftersales.models import AfterSalesRequest, Order, OrderItem, Refund, Status
from aftersales.services import orders, refunds, requests
from core.api import ApplicationError

pytestmark = pytest.mark.django_db

lines = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 500_000)), min_size=1, max_size=2)
steps = st.lists(st.one_of(
    st.tuples(st.just("apply"), st.integers(0, 1), st.integers(1, 6), st.integers(-5, 600_000)),
    st.tuples(st.just("apply_share"), st.integers(0, 1), st.integers(1, 6), st.integers(0, 2)),
    st.tuples(st.sampled_from(["approve", "reject", "cancel", "pay", "decline", "retry"]), st.integers(0, 1)),
), max_size=14)


class Rollback(Exception):
    """Leaves each example's rows behind in a rolled-back savepoint."""


def _order(customer: Any, store: Any, drawn: list[tuple[int, int]], postage: int, n: int) -> Order:
    now = timezone.now()
    items = [orders.ItemData(sku=f"P{i}", product_name=f"商品{i}", category_code="digital", quantity=quantity,
                             unit_price_fen=paid, paid_fen=paid) for i, (quantity, paid) in enumerate(drawn)]
    order, _ = orders.order_upsert(
        external_id=f"PROP-{n}", number=f"PROP-{n}", customer=customer, store=store,
        amount_fen=sum(paid for _, paid in drawn) + postage, status=Order.Status.SHIPPED, paid_at=now,
        created_at=now, items=items,
        shipments=[orders.ShipmentData(courier="SF", tracking_number=f"SF{n:010d}", shipped_at=now)],
    )
    return order


def _active(item: OrderItem) -> AfterSalesRequest | None:
    return AfterSalesRequest.objects.filter(item=item).exclude(status__in=[Status.CLOSED, Status.CANCELLED]).first()


def _step(step: tuple[Any, ...], items: list[OrderItem], customer: Any, staff: Any,
          gateway: payments.FakeGateway) -> None:
    kind, item = step[0], items[step[1] % len(items)]
    item.refresh_from_db()
    if kind in ("apply", "apply_share"):
        quantity = step[2]
        # apply_share: exactly the share, one fen more, or one fen less — the edges of the rule.
        amount = item.paid_fen * quantity // item.quantity + step[3] - 1 if kind == "apply_share" else step[3]
        data = requests.ApplicationData(item_id=item.pk, request_type="refund_only", reason_code="not-received",
                                        quantity=quantity, amount_fen=amount)
        requests.request_create(customer=customer, data=data)
        return
    request = _active(item)
    if request is None:
        return
    if kind == "approve" and request.status == Status.MERCHANT_REVIEW:
        requests.request_approve(request=request, user=staff)
    elif kind == "reject" and request.status == Status.MERCHANT_REVIEW:
        requests.request_confirm(request=requests.request_reject(request=request, user=staff, reason="不符合"),
                                 user=customer)
    elif kind == "cancel" and request.status == Status.MERCHANT_REVIEW:
        requests.request_cancel(request=request, user=customer)
    elif kind in ("pay", "decline") and request.status == Status.REFUNDING:
        gateway.reset(failures=1 if kind == "decline" else 0)
        refunds.refund_start(request_id=request.pk)
    elif kind == "retry":
        failed = Refund.objects.filter(request=request, status=Refund.Status.FAILED).first()
        if failed is not None:
            refunds.refund_retry(refund_id=failed.pk)


def _assert_never_more_than_paid(order: Order) -> None:
    moving = Refund.objects.filter(item__order=order).exclude(status=Refund.Status.FAILED)
    for item in order.items.all():
        line = moving.filter(item=item).aggregate(fen=Sum("amount_fen", default=0), units=Sum("request__quantity",
                                                                                              default=0))
        assert line["fen"] <= item.paid_fen
        # Units asked for buy at most their proportion of the line: 1 of 2 never takes the whole line.
        claimed = min(line["units"], item.quantity)
        assert line["fen"] * item.quantity <= item.paid_fen * claimed, (
            item.paid_fen, item.quantity, list(moving.filter(item=item).values("amount_fen", "request__quantity")))
    assert moving.aggregate(fen=Sum("amount_fen", default=0))["fen"] <= order.amount_fen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=lines, postage=st.integers(0, 2_000), sequence=steps)
def test_refunds_never_exceed_what_was_paid(
    customer: Any, store_and_staff: Any, gateway: payments.FakeGateway, drawn: list[tuple[int, int]], postage: int,
    sequence: list[tuple[Any, ...]],
) -> None:
    store, staff = store_and_staff
    gateway.reset()  # request numbers, and so refund keys, repeat after each rollback
    try:
        with transaction.atomic():
            order = _order(customer, store, drawn, postage, len(sequence))
            items = list(order.items.order_by("sku"))
            for step in sequence:
                try:
                    with transaction.atomic():
                        _step(step, items, customer, staff, gateway)
                except ApplicationError:
                    pass  # refused (over the cap, out of order …): refusing is allowed, paying too much is not
                _assert_never_more_than_paid(order)
            raise Rollback
    except Rollback:
        pass
