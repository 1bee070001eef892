"""Celery tasks of the knowledge base: thin wrappers around services, safe to run twice."""

from celery import shared_task

from knowledge import drafts, notifications, services


@shared_task(acks_late=True, ignore_result=True)
def sweep_article_schedule() -> dict[str, int]:
    """Beat runs this every few minutes: publishes due articles, takes expired ones offline."""
    return services.sweep_schedule()


@shared_task(acks_late=True, ignore_result=True)
def draft_faqs_nightly() -> int:
    """Beat runs this at night; questions already drafted are never drafted twice."""
    return len(drafts.draft_faqs_from_questions())


@shared_task(acks_late=True, ignore_result=True)
def email_review_needed(task_id: int) -> int:
    return notifications.email_editors_review_needed(task_id)
