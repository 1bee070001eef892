"""After-sales's customer-facts provider: the customer's own orders with parcel progress, open requests only."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Status
from aftersales.services import logistics
from core import customer_context
from profiles.models import User
from tests.aftersales.factories import apply, make_order

pytestmark = pytest.mark.django_db


def test_orders_carry_the_latest_parcel_and_its_newest_scan(customer: User) -> None:
    older = make_order(customer=customer, shipped=False, now=timezone.now() - timedelta(days=3))
    newer = make_order(customer=customer, signed_days_ago=None)
    parcel = newer.shipments.get()
    now = timezone.now()
    logistics.tracking_record(courier="SF", tracking_number=parcel.tracking_number, kind="in_transit",
                              occurred_at=now - timedelta(hours=5), description="【杭州】已发出")
    logistics.tracking_record(courier="SF", tracking_number=parcel.tracking_number, kind="delivering",
                              occurred_at=now - timedelta(hours=1), description="【上海】派送中")

    facts = customer_context.facts_for(customer.pk)

    assert [o.number for o in facts.orders] == [newer.number, older.number]
    latest = facts.orders[0]
    assert (latest.courier, latest.tracking_number, latest.last_scan) == ("顺丰速运", parcel.tracking_number,
                                                                           "【上海】派送中")
    assert latest.signed_at is None and latest.url == f"/aftersales/orders/{newer.pk}/"
    assert (facts.orders[1].status, facts.orders[1].tracking_number, facts.orders[1].last_scan) == ("paid", "", "")


def test_only_open_requests_and_never_another_customers(
    customer: User, make_user: Callable[..., User]
) -> None:
    refund = apply(make_order(customer=customer))
    closed = apply(make_order(customer=customer))
    AfterSalesRequest.objects.filter(pk=closed.pk).update(status=Status.CANCELLED)
    stranger = make_user("customer")
    theirs = make_order(customer=stranger)
    apply(theirs)

    facts = customer_context.facts_for(customer.pk)

    assert [r.number for r in facts.requests] == [refund.number]
    assert facts.requests[0].is_refund and facts.requests[0].url == f"/aftersales/requests/{refund.number}/"
    assert theirs.number not in {o.number for o in facts.orders}


def test_query_count_does_not_grow_with_orders(customer: User, django_assert_max_num_queries: Callable) -> None:
    for _ in range(5):
        apply(make_order(customer=customer))
    with django_assert_max_num_queries(4):
        facts = customer_context.facts_for(customer.pk)
    assert len(facts.orders) == 5 and len(facts.requests) == 5
