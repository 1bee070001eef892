"""Celery tasks for after-sales: each fetches and calls one service; safe to run twice."""

from typing import Any

from celery import shared_task

from aftersales.services import refunds, requests


@shared_task(acks_late=True, ignore_result=True)
def sweep_deadlines() -> int:
    """Beat, every minute: review and return deadlines that passed."""
    return requests.requests_sweep_due()


@shared_task(acks_late=True, ignore_result=True)
def execute_refund(refund_id: int) -> None:
    # Only a pending row is sent, so a redelivered task does nothing.
    refunds.refund_execute(refund_id=refund_id)


@shared_task(acks_late=True, ignore_result=True)
def reconcile_refunds() -> int:
    """Beat, every minute: ask the gateway about refunds whose outcome is unknown."""
    return refunds.refunds_reconcile_due()


@shared_task(acks_late=True, ignore_result=True)
def notify_customer(event_id: int) -> None:
    # One message per timeline event, so a redelivered task sends nothing twice.
    from aftersales import notifications

    notifications.notify_step(event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def add_ticket_notes(request_id: int) -> int:
    # Each step is noted once (RequestEvent.ticket_note), so a redelivered task adds nothing.
    from aftersales.services import ticketing

    return ticketing.ticket_notes_add(request_id=request_id)


@shared_task(acks_late=True, ignore_result=True)
def resolve_complaint(ticket_id: int, actor_id: int | None, reason: str = "") -> None:
    from aftersales.services import complaints

    complaints.complaint_resolve_from_ticket(ticket_id=ticket_id, actor_id=actor_id, reason=reason)


@shared_task(acks_late=True, ignore_result=True)
def sync_complaint_rating(request_id: int) -> None:
    from aftersales.services import complaints

    complaints.complaint_rating_sync(request_id=request_id)


@shared_task(acks_late=True, ignore_result=True)
def segment_customers() -> dict[str, Any]:
    """Beat runs this every night; rerunning it changes nothing more."""
    from aftersales.segments import segment_customers as recompute

    return recompute()
