"""Refunds exactly once: duplicates, concurrency, timeouts, reconciliation, declines and retries."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from aftersales import tasks
from aftersales.models import AfterSalesRequest, Refund, Status
from aftersales.services import refunds, requests
from aftersales.services.requests import NotEligible
from tests.aftersales.factories import apply, make_order

CONCURRENT = 50


def approved_refund_request(customer: Any, store: Any, staff: Any, amount_fen: int = 8_800) -> AfterSalesRequest:
    """A refund-only request approved by the store: the refund row exists, not yet sent."""
    request = apply(make_order(customer=customer, store=store, signed_days_ago=None), request_type="refund_only",
                    reason="not-received", amount_fen=amount_fen)
    return requests.request_approve(request=request, user=staff)


@pytest.mark.django_db
def test_duplicate_attempts_call_the_gateway_once(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    request = approved_refund_request(customer, *store_and_staff)
    assert Refund.objects.get(request=request).status == Refund.Status.PENDING
    results = [refunds.refund_start(request_id=request.pk) for _ in range(5)]
    assert {r.pk for r in results} == {Refund.objects.get().pk}
    assert len(gateway.calls) == 1
    request.refresh_from_db()
    assert request.status == Status.CLOSED


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_submissions_make_one_row_and_one_call(
    customer: Any, store_and_staff: Any, gateway: Any
) -> None:
    store, _ = store_and_staff
    request = apply(make_order(customer=customer, store=store, signed_days_ago=None), request_type="refund_only",
                    reason="not-received", amount_fen=5_000)
    # Approved without its refund row, so all 50 callers race to create it as well as to send it.
    AfterSalesRequest.objects.filter(pk=request.pk).update(status=Status.REFUNDING)
    gateway.reset(latency_s=0.05)

    def submit(_: int) -> int:
        try:
            return refunds.refund_start(request_id=request.pk).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        ids = set(pool.map(submit, range(CONCURRENT)))
    assert len(ids) == 1
    assert Refund.objects.count() == 1
    assert len(gateway.calls) == 1
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


@pytest.mark.django_db
def test_timeout_then_reconcile_settles_without_a_second_payment(
    customer: Any, store_and_staff: Any, gateway: Any
) -> None:
    request = approved_refund_request(customer, *store_and_staff)
    gateway.reset(timeouts=1, apply_on_timeout=True)
    refund = refunds.refund_start(request_id=request.pk)
    assert refund.status == Refund.Status.UNKNOWN and refund.last_error == "gateway timeout"
    # Retrying the submission does not send again while the outcome is unknown.
    refunds.refund_start(request_id=request.pk)
    assert len(gateway.calls) == 1
    assert tasks.reconcile_refunds() == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and len(gateway.calls) == 1
    request.refresh_from_db()
    assert request.status == Status.CLOSED


@pytest.mark.django_db
def test_timeout_the_gateway_never_saw_is_sent_again_with_the_same_key(
    customer: Any, store_and_staff: Any, gateway: Any
) -> None:
    request = approved_refund_request(customer, *store_and_staff)
    gateway.reset(timeouts=1, apply_on_timeout=False)
    refund = refunds.refund_start(request_id=request.pk)
    assert refund.status == Refund.Status.UNKNOWN
    refund = refunds.refund_reconcile(refund_id=refund.pk)
    assert refund.status == Refund.Status.SUCCEEDED and refund.attempts == 2
    assert gateway.calls == [refund.idempotency_key, refund.idempotency_key]
    assert len(gateway.results) == 1  # one refund on the gateway's side


@pytest.mark.django_db
def test_declined_refund_can_be_retried(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    request = approved_refund_request(customer, *store_and_staff)
    gateway.reset(failures=1)
    refund = refunds.refund_start(request_id=request.pk)
    assert refund.status == Refund.Status.FAILED
    request.refresh_from_db()
    assert request.status == Status.REFUNDING
    refund = refunds.refund_retry(refund_id=refund.pk)
    assert refund.status == Refund.Status.SUCCEEDED
    assert refunds.refund_retry(refund_id=refund.pk).status == Refund.Status.SUCCEEDED  # no third call
    assert len(gateway.calls) == 2


@pytest.mark.django_db
def test_a_lost_pending_refund_is_picked_up_by_the_sweep(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    approved_refund_request(customer, *store_and_staff)
    assert refunds.refunds_reconcile_due() == 0  # fresh pending rows belong to their queued task
    later = timezone.now() + refunds.STALE_AFTER + timedelta(seconds=1)
    assert refunds.refunds_reconcile_due(now=later) == 1
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


@pytest.mark.django_db
def test_partial_refunds_reduce_what_is_refundable(customer: Any, store_and_staff: Any, gateway: Any) -> None:
    store, staff = store_and_staff
    order = make_order(customer=customer, store=store, signed_days_ago=None, paid_fen=10_000)
    first = apply(order, request_type="refund_only", reason="not-received", amount_fen=3_000)
    requests.request_approve(request=first, user=staff)
    refunds.refund_start(request_id=first.pk)
    with pytest.raises(NotEligible) as caught:
        apply(order, request_type="refund_only", reason="not-received", amount_fen=7_001)
    assert caught.value.code == "amount_exceeds_refundable"
    assert apply(order, request_type="refund_only", reason="not-received", amount_fen=7_000).amount_fen == 7_000
