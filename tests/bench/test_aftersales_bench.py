"""After-sales figures: refund throughput and duplicate-safety with the fake gateway; the merchant queue,
its API and the customer's request list at 1,000,000 requests (AFTERSALES_BENCH_ROWS to change it)."""

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from aftersales import payments
from aftersales.models import AfterSalesRequest, Reason, Refund, Status
from aftersales.services import refunds, setup
from profiles import services
from profiles.models import User
from tests.aftersales.factories import apply, make_order
from tests.bench.timing import percentiles, timed
from tests.factories import StoreFactory

pytestmark = [pytest.mark.bench]

ROWS = int(os.environ.get("AFTERSALES_BENCH_ROWS", "1000000"))
ITEMS_PER_ORDER = 10
STORES = 10
REVIEW_EVERY = 50  # 2% of the requests await review, spread over the stores
REFUNDS = 300
CONCURRENT = 50





def _fake_gateway() -> payments.FakeGateway:
    fake = payments.gateway()
    assert isinstance(fake, payments.FakeGateway)
    fake.reset()
    return fake


@pytest.mark.django_db
def test_refund_throughput(report: Any, make_user: Callable[..., User]) -> None:
    setup.reference_data_ensure()
    fake = _fake_gateway()
    customer = make_user("customer")
    store = StoreFactory.create()
    for _ in range(REFUNDS):
        request = apply(make_order(customer=customer, store=store, signed_days_ago=None),
                        request_type="refund_only", reason="not-received", amount_fen=1_000)
        AfterSalesRequest.objects.filter(pk=request.pk).update(status=Status.REFUNDING)
        refunds.refund_ensure(request=request)  # the row only; nothing runs before a commit here
    ids = list(Refund.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    for refund_id in ids:
        refunds.refund_execute(refund_id=refund_id)
    elapsed = time.perf_counter() - started
    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).count() == REFUNDS == len(fake.calls)
    assert AfterSalesRequest.objects.filter(status=Status.CLOSED).count() == REFUNDS
    report("aftersales_refund_throughput", refunds=REFUNDS, refunds_per_s=round(REFUNDS / elapsed, 1),
           ms_per_refund=round(elapsed * 1000 / REFUNDS, 2))


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_refunds(report: Any, make_user: Callable[..., User]) -> None:
    setup.reference_data_ensure()
    fake = _fake_gateway()
    fake.reset(latency_s=0.02)
    request = apply(make_order(customer=make_user("customer"), signed_days_ago=None), request_type="refund_only",
                    reason="not-received", amount_fen=2_000)
    AfterSalesRequest.objects.filter(pk=request.pk).update(status=Status.REFUNDING)

    def submit(_: int) -> int:
        try:
            return refunds.refund_start(request_id=request.pk).pk
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        ids = set(pool.map(submit, range(CONCURRENT)))
    elapsed = time.perf_counter() - started
    calls = len(fake.calls)
    # Then a timeout and a retry: still one refund on the gateway's side.
    second = apply(make_order(customer=request.customer, signed_days_ago=None), request_type="refund_only",
                   reason="not-received", amount_fen=2_000)
    AfterSalesRequest.objects.filter(pk=second.pk).update(status=Status.REFUNDING)
    fake.reset(timeouts=1, apply_on_timeout=True)
    timed_out = refunds.refund_start(request_id=second.pk)
    settled = refunds.refund_reconcile(refund_id=timed_out.pk)
    report(
        "aftersales_duplicate_refunds", submissions=CONCURRENT, refund_rows=len(ids),
        rows_in_db=Refund.objects.filter(request=request).count(), gateway_calls=calls,
        seconds=round(elapsed, 3), timeout_then_retry_status=settled.status,
        timeout_then_retry_gateway_refunds=len(fake.results),
    )
    assert len(ids) == 1 and Refund.objects.filter(request=request).count() == 1 and calls == 1
    assert settled.status == Refund.Status.SUCCEEDED and len(fake.results) == 1


def _fill(customer: User, store_ids: list[int], reason: Reason) -> float:
    """ROWS requests (2% under review) on ROWS order items, written by the database itself."""
    orders = ROWS // ITEMS_PER_ORDER
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO aftersales_order (external_id, number, customer_id, store_id, amount_fen, status, paid_at,"
            " created_at, synced_at) SELECT 'B-' || g, lpad(g::text, 16, '0'), %s, (%s::bigint[])[1 + (g / 5) %% %s],"
            " 100000, 'signed', now(), now() - g * interval '1 minute', now() FROM generate_series(1, %s) g",
            [customer.pk, store_ids, len(store_ids), orders],
        )
        cursor.execute(
            "INSERT INTO aftersales_orderitem (order_id, sku, product_name, category_code, quantity,"
            " unit_price_fen, paid_fen) SELECT o.id, 'SKU-' || k, '基准商品', 'digital', 1, 10000, 10000"
            " FROM aftersales_order o CROSS JOIN generate_series(1, %s) k WHERE o.external_id LIKE 'B-%%'",
            [ITEMS_PER_ORDER],
        )
        cursor.execute(
            "INSERT INTO aftersales_aftersalesrequest (number, order_id, item_id, store_id, customer_id,"
            " request_type, reason_id, quantity, amount_fen, description, package_opened, status, due_at,"
            " rejection_reason, appeal_reason, return_courier, return_tracking_number, inspection_notes,"
            " restock_quantity, replacement_courier, replacement_tracking_number, created_at, updated_at)"
            " SELECT 'B' || lpad(i.id::text, 12, '0'), i.order_id, i.id, o.store_id, o.customer_id,"
            " 'return_refund', %s, 1, 10000, '', false,"
            " CASE WHEN o.id %% %s = 0 AND i.sku = 'SKU-1' THEN 'merchant_review' ELSE 'closed' END,"
            " CASE WHEN o.id %% %s = 0 AND i.sku = 'SKU-1' THEN now() + (i.id %% 2880) * interval '1 minute' END,"
            " '', '', '', '', '', 0, '', '', now() - (i.id %% 5000) * interval '1 minute', now()"
            " FROM aftersales_orderitem i JOIN aftersales_order o ON o.id = i.order_id"
            " WHERE o.external_id LIKE 'B-%%'",
            [reason.pk, REVIEW_EVERY // ITEMS_PER_ORDER, REVIEW_EVERY // ITEMS_PER_ORDER],
        )
        cursor.execute("ANALYZE aftersales_order, aftersales_orderitem, aftersales_aftersalesrequest")
    return time.perf_counter() - started


@pytest.mark.django_db
def test_merchant_queue_and_request_lists_at_scale(report: Any, make_user: Callable[..., User]) -> None:
    setup.reference_data_ensure()
    customer = make_user("customer")
    staff = make_user("merchant_staff")
    own = staff.stores.get()
    stores = [own, *(StoreFactory.create() for _ in range(STORES - 1))]
    seed_s = _fill(customer, [store.pk for store in stores], Reason.objects.get(request_type="return_refund",
                                                                             code="no-reason"))
    merchant, buyer = Client(), Client()
    merchant.force_login(staff)
    buyer.force_login(customer)
    assert merchant.get("/merchant/").status_code == 200
    page = timed(50, lambda: merchant.get("/merchant/"))
    second = merchant.get("/merchant/").context["next_after"]
    deep = timed(50, lambda: merchant.get("/merchant/", {"after": second}))
    merchant_api = timed(50, lambda: merchant.get("/api/v1/aftersales-requests/?status=merchant_review"))
    number = AfterSalesRequest.objects.filter(store=own, status=Status.MERCHANT_REVIEW).values_list(
        "number", flat=True).first()
    detail = timed(50, lambda: merchant.get(f"/merchant/requests/{number}/"))
    customer_api = timed(50, lambda: buyer.get("/api/v1/aftersales-requests/"))
    customer_page = timed(50, lambda: buyer.get("/aftersales/"))
    review_rows = ROWS // REVIEW_EVERY
    report("aftersales_seed", rows=ROWS, review_rows=review_rows, stores=STORES, seconds=round(seed_s, 1))
    report("aftersales_merchant_queue_page", rows=ROWS, **percentiles(page))
    report("aftersales_merchant_queue_next_page", rows=ROWS, **percentiles(deep))
    report("aftersales_merchant_api_list", rows=ROWS, **percentiles(merchant_api))
    report("aftersales_merchant_request_detail", rows=ROWS, **percentiles(detail))
    report("aftersales_customer_api_list", rows=ROWS, **percentiles(customer_api))
    report("aftersales_customer_home", rows=ROWS, **percentiles(customer_page))
    services.store_remove_staff(store=own, user=staff)
