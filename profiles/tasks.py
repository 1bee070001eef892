"""Celery tasks for people: thin wrappers around services, safe to run twice."""

from celery import shared_task

from profiles import customers, presence


# No result backend is configured and beat never reads the count: don't store it.
@shared_task(acks_late=True, ignore_result=True)
def mark_stale_agents_away() -> int:
    """Beat runs this every minute (under its first name): agents whose tabs all closed go offline, idle
    ones away (profiles.presence). A second run finds nothing left to change."""
    return presence.presence_sweep()


@shared_task(acks_late=True, ignore_result=True)
def apply_tag_rules() -> int:
    """Beat runs this every night after the segments; a second run changes nothing."""
    return customers.customer_tags_apply()
