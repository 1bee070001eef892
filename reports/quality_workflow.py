"""The lifecycle of a QA review: states and allowed moves as data, and the one function that moves it.

pending → scored (QA) → appealed (the agent, once) → upheld (score adjusted) / rejected (QA).
Every move is saved on the locked row, so django-simple-history keeps who moved it and when.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from reports.models import Review
from service_center.core.api import ApplicationError

Status = Review.Status


@dataclass(frozen=True)
class Transition:
    name: str
    source: str
    target: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition("score", Status.PENDING, Status.SCORED),
    Transition("appeal", Status.SCORED, Status.APPEALED),
    Transition("uphold", Status.APPEALED, Status.UPHELD),
    Transition("reject", Status.APPEALED, Status.REJECTED),
)


class InvalidTransition(ApplicationError):
    def __init__(self, *, review: Review, target: str) -> None:
        message = str(_("A review in status “%(source)s” cannot move to “%(target)s”.") % {
            "source": review.get_status_display(), "target": Status(target).label})
        super().__init__(message, code="invalid_transition", status_code=status.HTTP_409_CONFLICT,
                         fields={"status": [message]})


def allowed_targets(current: str) -> list[str]:
    return [transition.target for transition in TRANSITIONS if transition.source == current]


def locked(review_id: int) -> Review:
    """The review row locked for the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("QA review moves must run inside the caller's transaction")
    return Review.objects.select_for_update(of=("self",)).get(pk=review_id)


def apply_transition(*, review: Review, target: str, actor: Any, **changes: Any) -> Review:
    """Move the locked `review` to `target` with `changes` (score, comment, …) saved in the same row."""
    if target not in allowed_targets(review.status):
        raise InvalidTransition(review=review, target=target)
    for name, value in changes.items():
        setattr(review, name, value)
    review.status = target
    review._history_user = actor  # type: ignore[attr-defined]  # simple-history's hook for the acting user
    review.save()
    return review
