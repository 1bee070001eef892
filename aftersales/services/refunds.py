"""Refunds, exactly once.

1. `refund_ensure` writes the refund row with its idempotency key (unique) in the caller's
   transaction; it commits before anyone talks to the gateway.
2. `refund_execute` claims the row with one conditional UPDATE (pending → sending) committed on its
   own: of any number of concurrent callers exactly one wins and calls the gateway, once.
3. The outcome is recorded; a timeout (or a crash) leaves the row `unknown` / `sending`, and
   `refund_reconcile` asks the gateway by key: known → settle; never received → back to pending and
   send again with the same key, which the gateway deduplicates.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from aftersales import payments, refund_cap
from aftersales.models import AfterSalesRequest, Refund, Status
from aftersales.workflow import WORKFLOW, Actor
from core import events
from core.money import format_fen
from core.queueing import enqueue

logger = logging.getLogger(__name__)

# A row still `sending` or `pending` this long after its last change lost its worker: reconcile it.
STALE_AFTER = timedelta(minutes=2)


def refund_key(request: AfterSalesRequest) -> str:
    return f"refund-{request.number}"


def _row(request: AfterSalesRequest) -> Refund:
    key = refund_key(request)
    refund = Refund.objects.filter(idempotency_key=key).first()
    if refund is not None:
        return refund
    # Every way a request comes to be paid (approval, arbitration, the deadline sweep, inspection,
    # advance compensation) creates its row here, so this is where the line's cap is enforced.
    refund_cap.assert_within_cap(request)
    try:
        with transaction.atomic():
            return Refund.objects.create(
                request=request, item_id=request.item_id, amount_fen=request.amount_fen, idempotency_key=key
            )
    except IntegrityError:
        # A concurrent caller inserted the key first; the unique constraint makes it the only row.
        return Refund.objects.get(idempotency_key=key)


def refund_ensure(*, request: AfterSalesRequest) -> Refund:
    """The request's refund row, created once; its execution is queued for after the commit."""
    refund = _row(request)
    enqueue("aftersales.tasks.execute_refund", refund_id=refund.pk)
    return refund


def refund_start(*, request_id: int) -> Refund:
    """Create (once) and execute the refund of a request; safe to call any number of times at once."""
    with transaction.atomic():
        refund = _row(AfterSalesRequest.objects.get(pk=request_id))
    return refund_execute(refund_id=refund.pk)


def refund_execute(*, refund_id: int) -> Refund:
    with transaction.atomic():
        claimed = Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(
            status=Refund.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    refund = Refund.objects.select_related("request__order").get(pk=refund_id)
    if not claimed:
        return refund  # someone else sends it, or it is already settled
    try:
        result = payments.gateway().refund(
            key=refund.idempotency_key, order_reference=refund.request.order.external_id,
            amount_fen=refund.amount_fen,
        )
    except payments.GatewayTimeout:
        return _mark_unknown(refund_id, "gateway timeout")
    except Exception as exc:
        # Whatever broke, the gateway may have moved the money: only a query can tell.
        logger.exception("refund %s: gateway call failed", refund.idempotency_key)
        return _mark_unknown(refund_id, f"{type(exc).__name__}: {exc}"[:300])
    return _settle(refund_id, result)


def _mark_unknown(refund_id: int, error: str) -> Refund:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SENDING:
            refund.status = Refund.Status.UNKNOWN
            refund.last_error = error
            refund.save(update_fields=["status", "last_error", "updated_at"])
    return refund


@transaction.atomic
def _settle(refund_id: int, result: payments.GatewayResult) -> Refund:
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status in (Refund.Status.SUCCEEDED, Refund.Status.FAILED):
        return refund
    if result.outcome == payments.GatewayOutcome.SUCCEEDED:
        refund.status = Refund.Status.SUCCEEDED
        refund.gateway_reference = result.reference
        refund.last_error = ""
    else:
        refund.status = Refund.Status.FAILED
        refund.last_error = result.message[:300]
    refund.save(update_fields=["status", "gateway_reference", "last_error", "updated_at"])
    request = refund.request
    if refund.status == Refund.Status.SUCCEEDED and request.status == Status.REFUNDING:
        note = f"{format_fen(refund.amount_fen)} · {refund.gateway_reference}"
        request = WORKFLOW.transition(request, to=Status.REFUNDED, by=Actor.SYSTEM, actor=None, reason=note)
        WORKFLOW.transition(request, to=Status.CLOSED, by=Actor.SYSTEM, actor=None)
    events.publish(f"aftersales.refund_{refund.status}", refund_id=refund.pk, request_id=refund.request_id)
    return refund


def refund_reconcile(*, refund_id: int) -> Refund:
    """Settle a refund whose outcome is unknown by asking the gateway."""
    refund = Refund.objects.get(pk=refund_id)
    if refund.status not in (Refund.Status.UNKNOWN, Refund.Status.SENDING, Refund.Status.PENDING):
        return refund
    result = payments.gateway().query(key=refund.idempotency_key)
    if result is not None:
        return _settle(refund_id, result)
    # The gateway never received it: send it again under the same key.
    Refund.objects.filter(pk=refund_id, status__in=[Refund.Status.UNKNOWN, Refund.Status.SENDING]).update(
        status=Refund.Status.PENDING, updated_at=timezone.now()
    )
    return refund_execute(refund_id=refund_id)


def refund_retry(*, refund_id: int) -> Refund:
    """Send a declined refund again (same key: the gateway allows a retry after a decline).

    A declined refund held no money, so the line may have been refunded since: the cap is checked again.
    """
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("request").get(pk=refund_id)
        if refund.status == Refund.Status.FAILED:
            refund_cap.assert_within_cap(refund.request)
            refund.status = Refund.Status.PENDING
            refund.save(update_fields=["status", "updated_at"])
    return refund_execute(refund_id=refund_id)


def refunds_reconcile_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """Beat: unknown refunds, and pending / sending ones untouched for `STALE_AFTER`."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    due = Q(status=Refund.Status.UNKNOWN) | Q(
        status__in=[Refund.Status.PENDING, Refund.Status.SENDING], updated_at__lt=cutoff
    )
    ids = list(Refund.objects.filter(due).order_by("updated_at").values_list("pk", flat=True)[:batch])
    for refund_id in ids:
        refund_reconcile(refund_id=refund_id)
    return len(ids)
