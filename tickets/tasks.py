"""Celery tasks for tickets: thin wrappers around services, safe to run twice."""

import smtplib

from celery import Task, shared_task

from service_center.core.http import ProviderError
from tickets.services import calls, channels, escalation, outbound

EMAIL_SEND_RETRIES = 5


# No result backend is configured and beat never reads the counts: don't store them.
@shared_task(acks_late=True, ignore_result=True)
def sweep_sla() -> dict[str, int]:
    """Beat runs this every minute over the indexed `next_sla_check_at`; each alarm fires once."""
    return escalation.sla_sweep()


@shared_task(acks_late=True, ignore_result=True)
def escalate_ticket(ticket_id: int, reason: str, from_level: int) -> bool:
    """Escalate from the level the caller saw: a redelivered message finds the step taken and does nothing."""
    return escalation.ticket_escalate(ticket=ticket_id, reason=reason, from_level=from_level) is not None


# Mail is stored once per Message-ID and marked seen only after the commit: a second run finds nothing new.
@shared_task(acks_late=True, ignore_result=True)
def poll_mailboxes() -> None:
    """Beat runs this every minute: the UNSEEN mail of every active IMAP mailbox becomes tickets."""
    from tickets.email import imap

    imap.poll_all()


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=EMAIL_SEND_RETRIES)
def send_email(self: Task, email_id: int) -> None:
    """Send one queued mail; an SMTP or network error retries with backoff, then marks it failed."""
    from tickets.email import outbound

    try:
        outbound.email_send(email_id=email_id)
    except (OSError, smtplib.SMTPException) as exc:
        if self.request.retries >= EMAIL_SEND_RETRIES:
            outbound.email_give_up(email_id=email_id, error=f"{type(exc).__name__}: {exc}")
            return
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc


@shared_task(acks_late=True, ignore_result=True)
def send_outbound(outbound_id: int) -> str | None:
    """One attempt at a desk reply on the customer's channel; the row says whether it is due."""
    return outbound.outbound_send(outbound_id=outbound_id)


@shared_task(acks_late=True, ignore_result=True)
def send_due_outbound() -> int:
    """Beat, every minute: retries of failed sends, and sends the broker never got."""
    return outbound.outbound_send_due()


# Media and recordings wait on the provider: retry with backoff, then leave the placeholder text.
@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ProviderError,), retry_backoff=True, max_retries=5)
def fetch_wechat_media(message_id: int) -> bool:
    return channels.wechat_fetch_media(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ProviderError,), retry_backoff=True, max_retries=5)
def fetch_call_recording(call_pk: int) -> bool:
    return calls.call_recording_fetch(call_pk=call_pk)
