"""Celery tasks for after-sales: each fetches and calls one service; safe to run twice."""

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
