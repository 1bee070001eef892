"""The after-sales demo data: orders, requests in many states, policies; a second run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from aftersales.models import (
    AfterSalesRequest,
    CategoryPolicy,
    Evidence,
    Order,
    OrderItem,
    Reason,
    RequestEvent,
    ReturnAddress,
    Shipment,
)

COUNTED = [Order, OrderItem, Shipment, AfterSalesRequest, RequestEvent, Evidence, CategoryPolicy, Reason,
           ReturnAddress]


def counts() -> dict[str, int]:
    models = [*COUNTED, *(m.history.model for m in COUNTED if hasattr(m, "history"))]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_demo_twice_changes_no_counts() -> None:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    assert "After-sales demo data ready (60 new order(s)" in out.getvalue()
    first = counts()
    assert first["Order"] == 60 and first["AfterSalesRequest"] == 12
    statuses = set(AfterSalesRequest.objects.values_list("status", flat=True))
    assert {"merchant_review", "awaiting_return", "in_transit", "received", "rejected", "arbitration",
            "exchange_shipped", "cancelled", "refunding"} <= statuses
    assert Order.objects.filter(shipments__isnull=True).count() >= 5  # some not shipped yet
    assert set(Order.objects.values_list("store__code", flat=True)) == {
        "migo-digital", "youzhi-apparel", "liangwei-snacks"}
    call_command("seed_demo", force=True, stdout=StringIO())
    assert counts() == first
