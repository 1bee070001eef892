"""E-mail to knowledge-base editors when an article needs review (expired, or a linked policy changed).

The `knowledge.review_needed` domain event (after the review task is committed) queues a Celery task,
so the web request that changed a policy never waits on the mail server; the task queues one e-mail per
editor through core's messaging (core.messaging).
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core import messaging
from core.events import DomainEvent
from core.queueing import enqueue
from knowledge import selectors
from knowledge.models import ReviewTask

# A review task is mailed about once; a week outlives any redelivery of the task.
MAIL_MARKER_SECONDS = 7 * 24 * 3600


def _site_origin() -> str:
    # The public origin is the one browsers post forms from; without it the mail carries paths only.
    origins: list[str] = settings.CSRF_TRUSTED_ORIGINS
    return origins[0].rstrip("/") if origins else ""


def _message(task: ReviewTask) -> tuple[str, str]:
    origin = _site_origin()
    lines = [
        _("An article needs review: %(reason)s.") % {"reason": task.get_reason_display()},
        "",
        _("Article: %(title)s") % {"title": task.article.title_zh},
    ]
    if task.source is not None:
        lines.append(_("Changed policy: %(title)s") % {"title": task.source.title_zh})
    lines += [
        "",
        _("Edit the article: %(url)s") % {"url": origin + reverse("help:editor_edit", args=[task.article.slug])},
        _("All open review tasks: %(url)s") % {"url": origin + reverse("help:editor")},
    ]
    return _("[Knowledge base] Review needed: %(title)s") % {"title": task.article.title_zh}, "\n".join(lines)


def queue_review_mail(event: DomainEvent) -> None:
    enqueue("knowledge.tasks.email_review_needed", task_id=int(event.payload["task_id"]))


def email_editors_review_needed(task_id: int) -> int:
    """One e-mail to each editor with an address, never one mail listing everyone; at most once per task
    (a redelivered Celery task finds the marker and sends nothing). Returns how many mails went out."""
    task = selectors.review_task_with_articles(task_id)
    if task is None or task.status != ReviewTask.Status.OPEN:
        return 0
    marker = f"knowledge:review-mail:{task_id}"
    if not cache.add(marker, True, timeout=MAIL_MARKER_SECONDS):
        return 0
    editors = [editor for editor in selectors.editors() if editor.email]
    try:
        with transaction.atomic():
            for editor in editors:
                with translation.override(editor.preferred_language or settings.LANGUAGE_CODE):
                    subject, body = _message(task)
                messaging.send_email(recipient_ids=[editor.pk], subject=subject, body=body)
    except Exception:
        cache.delete(marker)  # nothing was queued: let the task's retry queue them
        raise
    return len(editors)
