"""The lifecycle of a QA review as a table for the core workflow engine (core/workflow.py).

pending → scored (QA) → appealed (the agent, once) → upheld (score adjusted) / rejected (QA).
Every move is saved on the row the caller locked (`locked`), so django-simple-history keeps who moved it and when.
"""

from django.utils.translation import gettext_lazy as _

from core.locks import require_transaction
from core.workflow import Refusal, Workflow, move
from quality.models import Review

Status = Review.Status

TRANSITIONS = (
    move(Status.PENDING, Status.SCORED, "score"),
    move(Status.SCORED, Status.APPEALED, "appeal"),
    move(Status.APPEALED, Status.UPHELD, "uphold"),
    move(Status.APPEALED, Status.REJECTED, "reject"),
)


def _refused(review: Review, target: str) -> Refusal:
    label = Status(target).label if target in Status.values else target
    return Refusal(str(_("A review in status “%(source)s” cannot move to “%(target)s”.") % {
        "source": review.get_status_display(), "target": label}))


WORKFLOW: Workflow[Review] = Workflow(transitions=TRANSITIONS, refused=_refused)


def locked(review_id: int) -> Review:
    """The review row locked for the caller's transaction."""
    require_transaction("QA review moves must run inside the caller's transaction")
    return Review.objects.select_for_update(of=("self",)).get(pk=review_id)
