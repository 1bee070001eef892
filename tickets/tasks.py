"""Celery tasks for tickets: thin wrappers around services, safe to run twice."""

from celery import shared_task

from tickets.channels import calls
from tickets.channels.wechat import intake as wechat_intake
from tickets.services import (
    automations,
    bulk,
    delivery,
    escalation,
    notifications,
    outbound,
    side_conversations,
    triggers,
)


# No result backend is configured and beat never reads the counts: don't store them.
@shared_task(acks_late=True, ignore_result=True)
def sweep_sla() -> dict[str, int]:
    """Beat runs this every minute over the indexed `next_sla_check_at`; each alarm fires once. The
    automations follow on the same beat, each firing once per ticket and window."""
    return {**escalation.sla_sweep(), **automations.automations_sweep()}


# Started only through the outbox (triggers.on_events); each trigger's run row makes a second delivery a no-op.
@shared_task(acks_late=True, ignore_result=True)
def run_triggers(event: str, ticket_id: int, chain: list[int], event_id: str) -> dict[str, int]:
    return triggers.triggers_run(event=event, ticket_id=ticket_id, chain=chain, event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def escalate_ticket(ticket_id: int, reason: str, from_level: int) -> bool:
    """Escalate from the level the caller saw: a redelivered message finds the step taken and does nothing."""
    return escalation.ticket_escalate(ticket=ticket_id, reason=reason, from_level=from_level) is not None


# Mail is stored once per Message-ID and marked seen only after the commit: a second run finds nothing new.
@shared_task(acks_late=True, ignore_result=True)
def poll_mailboxes() -> None:
    """Beat runs this every minute: the UNSEEN mail of every active IMAP mailbox becomes tickets."""
    from tickets.channels.email import imap

    imap.poll_all()


# Started only through the outbox (notifications.notify), which runs each message once.
@shared_task(acks_late=True, ignore_result=True)
def deliver_notifications(recipient_ids: list[int], kind: str, ticket_id: int, actor_id: int | None,
                          text: str) -> int:
    return len(notifications.deliver(recipient_ids=recipient_ids, kind=kind, ticket_id=ticket_id, actor_id=actor_id,
                                     text=text))


@shared_task(acks_late=True, ignore_result=True)
def send_email(email_id: int) -> None:
    """One attempt at a queued mail; a failure leaves it due for `send_due_outbound`."""
    from tickets.channels.email import outbound as email_outbound

    email_outbound.email_send(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def send_outbound(outbound_id: int) -> str | None:
    """One attempt at a desk reply on the customer's channel; the row says whether it is due."""
    return outbound.outbound_send(outbound_id=outbound_id)


@shared_task(acks_late=True, ignore_result=True)
def send_due_outbound() -> int:
    """Beat, every minute: every channel's replies (e-mail too) that failed or that the broker never got."""
    return delivery.send_due()


# Media and recordings wait on the provider: a ProviderError fails the run and the outbox retries it with
# backoff (core/queueing.py); a dead row leaves the placeholder text.
@shared_task(acks_late=True, ignore_result=True)
def fetch_wechat_media(message_id: int) -> bool:
    return wechat_intake.wechat_fetch_media(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def fetch_call_recording(call_pk: int) -> bool:
    return calls.call_recording_fetch(call_pk=call_pk)


@shared_task(acks_late=True, ignore_result=True)
def run_bulk_job(job_id: int) -> None:
    """A bulk action of more than a hundred tickets; a redelivery resumes where the job stands."""
    bulk.bulk_job_run(job_id=job_id)


# Started only through the outbox (side_conversations.side_conversation_start / _reply); a sent mail is not resent.
@shared_task(acks_late=True, ignore_result=True)
def send_side_message(side_message_id: int) -> bool:
    return side_conversations.side_message_send(side_message_id=side_message_id)
