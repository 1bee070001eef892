"""Celery tasks for tickets: thin wrappers around services, safe to run twice."""

from celery import shared_task

from tickets.services import escalation


# No result backend is configured and beat never reads the counts: don't store them.
@shared_task(acks_late=True, ignore_result=True)
def sweep_sla() -> dict[str, int]:
    """Beat runs this every minute over the indexed `next_sla_check_at`; each alarm fires once."""
    return escalation.sla_sweep()


@shared_task(acks_late=True, ignore_result=True)
def escalate_ticket(ticket_id: int, reason: str, from_level: int) -> bool:
    """Escalate from the level the caller saw: a redelivered message finds the step taken and does nothing."""
    return escalation.ticket_escalate(ticket=ticket_id, reason=reason, from_level=from_level) is not None
