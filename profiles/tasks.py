"""Celery tasks for people: thin wrappers around services, safe to run twice."""

from celery import shared_task

from profiles import customers, services


# No result backend is configured and beat never reads the count: don't store it.
@shared_task(acks_late=True, ignore_result=True)
def mark_stale_agents_away() -> int:
    """Beat runs this every minute; a second run finds nothing left to change."""
    return services.agents_mark_stale_away()


@shared_task(acks_late=True, ignore_result=True)
def apply_tag_rules() -> int:
    """Beat runs this every night after the segments; a second run changes nothing."""
    return customers.customer_tags_apply()
