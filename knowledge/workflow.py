"""The article lifecycle as data: draft → in review → (scheduled →) published → offline → draft.

`apply_transition` is the only place an article's status changes. It locks the row, checks the
move and the actor's right to make it (a reviewer never approves their own article), saves
(so the change lands in the history) and publishes the domain event on commit.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from knowledge.models import Article
from profiles.models import User
from service_center.core import events

S = Article.Status
EDIT_PERMISSION = "knowledge.change_article"
REVIEW_PERMISSION = "knowledge.review_article"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    TAKE_OFFLINE = "take_offline"
    REDRAFT = "redraft"
    # Done by the beat sweep, not by people.
    PUBLISH_DUE = "publish_due"
    EXPIRE = "expire"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    permission: str | None  # None: the system only (beat sweep)
    reviewer: bool = False  # the actor must not be the author


TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: Transition(frozenset({S.DRAFT}), EDIT_PERMISSION),
    Action.APPROVE: Transition(frozenset({S.IN_REVIEW}), REVIEW_PERMISSION, reviewer=True),
    Action.REJECT: Transition(frozenset({S.IN_REVIEW}), REVIEW_PERMISSION, reviewer=True),
    Action.TAKE_OFFLINE: Transition(frozenset({S.PUBLISHED, S.SCHEDULED}), REVIEW_PERMISSION),
    Action.REDRAFT: Transition(frozenset({S.OFFLINE}), EDIT_PERMISSION),
    Action.PUBLISH_DUE: Transition(frozenset({S.SCHEDULED}), None),
    Action.EXPIRE: Transition(frozenset({S.PUBLISHED}), None),
}
ACTION_LABELS = {
    Action.SUBMIT: _("Submit for review"),
    Action.APPROVE: _("Approve and publish"),
    Action.REJECT: _("Send back to draft"),
    Action.TAKE_OFFLINE: _("Take offline"),
    Action.REDRAFT: _("Reopen as draft"),
}


class InvalidTransition(Exception):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def _target(action: Action, article: Article, now: datetime) -> str:
    if action is Action.APPROVE:
        return S.SCHEDULED if article.publish_at and article.publish_at > now else S.PUBLISHED
    return {
        Action.SUBMIT: S.IN_REVIEW,
        Action.REJECT: S.DRAFT,
        Action.TAKE_OFFLINE: S.OFFLINE,
        Action.REDRAFT: S.DRAFT,
        Action.PUBLISH_DUE: S.PUBLISHED,
        Action.EXPIRE: S.OFFLINE,
    }[action]


def check_transition(article: Article, action: Action, actor: User | None) -> None:
    """Raise InvalidTransition unless `actor` (None: the system) may apply `action` to `article` now."""
    transition = TRANSITIONS[action]
    if article.status not in transition.sources:
        message = _("This article is %(status)s; that step is not possible now.")
        raise InvalidTransition(
            str(message) % {"status": article.get_status_display()},
            code="invalid_transition",
        )
    if transition.permission is None:
        if actor is not None:
            raise InvalidTransition(str(_("Only the scheduler takes this step.")), code="system_only")
        return
    if actor is None or not actor.has_perm(transition.permission):
        raise InvalidTransition(str(_("You may not take this step.")), code="permission_denied")
    if transition.reviewer and article.author_id == actor.pk:
        raise InvalidTransition(str(_("The reviewer must not be the author.")), code="own_article")


def available_actions(article: Article, actor: User) -> list[Action]:
    allowed = []
    for action in ACTION_LABELS:
        try:
            check_transition(article, action, actor)
        except InvalidTransition:
            continue
        allowed.append(action)
    return allowed


@transaction.atomic
def apply_transition(*, article: Article, action: Action, actor: User | None, now: datetime | None = None) -> Article:
    now = now or timezone.now()
    locked = Article.objects.select_for_update(of=("self",)).get(pk=article.pk)
    check_transition(locked, action, actor)
    previous = locked.status
    locked.status = _target(action, locked, now)
    fields = ["status", "updated_at"]
    if action in (Action.APPROVE, Action.REJECT):
        locked.reviewer = actor
        fields.append("reviewer")
    if locked.status == S.PUBLISHED:
        locked.published_at = now
        fields.append("published_at")
    # simple-history stores this as the history row's change reason.
    locked._change_reason = str(action)  # type: ignore[attr-defined]
    locked.save(update_fields=fields)
    events.publish(
        "knowledge.article_status_changed",
        article_id=locked.pk, action=str(action), old_status=previous, new_status=locked.status,
        actor_id=actor.pk if actor else None,
    )
    return locked
