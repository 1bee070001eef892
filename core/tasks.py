"""Celery tasks of the core: outgoing webhook attempts, e-mail and SMS, the outbox sweep, backups. Thin wrappers,
safe to run twice."""

from typing import Any

from celery import shared_task

from core import messaging, queueing, webhooks


# A redelivered task finds its row leased or done and does nothing (see core.backoff.lease).
@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str | None:
    return webhooks.deliver(delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_webhooks() -> dict[str, Any]:
    """Beat runs this every minute: retries whose backoff has passed, and first tries never queued."""
    return webhooks.sweep()


@shared_task(acks_late=False, ignore_result=True)
def daily_backup() -> str:
    """Beat runs this at night. Not acks_late: a worker lost mid-dump must not start a second dump."""
    from core import backups
    from core.models import BackupRun

    return backups.run_and_record(trigger=BackupRun.Trigger.SCHEDULE).file_name


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    """Beat runs this every 30 seconds: outbox messages never sent, due again, or lost by their worker."""
    return queueing.sweep()


# Started only through the outbox (messaging.send_email / send_sms), which runs each row once.
@shared_task(acks_late=True, ignore_result=True)
def send_email(recipient_id: int, subject: str, body: str, attachments: list[dict[str, str]]) -> bool:
    return messaging.deliver_email(recipient_id=recipient_id, subject=subject, body=body,
                                   attachments=[messaging.Attachment(**attachment) for attachment in attachments])


@shared_task(acks_late=True, ignore_result=True)
def send_sms(recipient_id: int, text: str) -> bool:
    return messaging.deliver_sms(recipient_id=recipient_id, text=text)
