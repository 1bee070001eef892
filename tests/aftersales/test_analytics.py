"""Anomaly analysis: closed requests classified by cause, rates by product / store / courier, alerts."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aftersales import analytics
from aftersales.models import AfterSalesRequest, Reason, Status
from tests.aftersales.factories import apply, make_order, photo

pytestmark = pytest.mark.django_db


def closed(order: Any, reason: str, *, request_type: str = "return_refund", days_ago: float = 1,
           inspection_passed: bool | None = None) -> AfterSalesRequest:
    images = [photo()] if Reason.objects.get(request_type=request_type, code=reason).is_quality else []
    request = apply(order, request_type=request_type, reason=reason, images=images)
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        status=Status.CLOSED, inspection_passed=inspection_passed, updated_at=timezone.now() - timedelta(days=days_ago)
    )
    return request


def test_closed_requests_by_cause_and_top_products(customer: Any, store_and_staff: Any) -> None:
    store = store_and_staff[0]
    closed(make_order(customer=customer, store=store), "quality")
    closed(make_order(customer=customer, store=store), "damaged")
    closed(make_order(customer=customer, store=store), "no-reason")
    closed(make_order(customer=customer, store=store), "quality", inspection_passed=False)
    make_order(customer=customer, store=store)  # an order without a request counts in the rate
    now = timezone.now()
    assert analytics.closed_by_cause(since=now - timedelta(days=7), until=now) == {
        "product": 1, "logistics": 1, "service": 2}
    by_store = analytics.top_rates(dimension="store", since=now - timedelta(days=7), until=now)
    assert [(r.key, r.requests, r.orders) for r in by_store] == [(store.pk, 2, 5)]
    by_courier = analytics.top_rates(dimension="courier", since=now - timedelta(days=7), until=now)
    assert by_courier[0].key == "SF" and by_courier[0].requests == 2


def test_an_alert_when_a_rate_rises_above_its_baseline(customer: Any, store_and_staff: Any) -> None:
    store = store_and_staff[0]
    for _ in range(6):
        closed(make_order(customer=customer, store=store), "quality", days_ago=1)
    closed(make_order(customer=customer, store=store), "quality", days_ago=20)
    alerts = analytics.rate_alerts(dimension="store", now=timezone.now())
    assert [(a.key, a.rate > a.baseline) for a in alerts] == [(store.pk, True)]
    assert analytics.rate_alerts(dimension="store", now=timezone.now(), min_requests=10) == []
