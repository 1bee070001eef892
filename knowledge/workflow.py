"""The article lifecycle as a table for the core workflow engine (core/workflow.py).

draft → in review → (scheduled →) published → offline → draft. People take the steps their permission
allows (a reviewer never approves their own article); the beat sweep alone publishes scheduled articles
and expires old ones. Each move is saved (so it lands in the history) and announced on commit.
"""

from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import events
from core.workflow import Guard, Refusal, Step, Workflow, move
from knowledge import bot_index
from knowledge.models import Article

S = Article.Status
EDIT_PERMISSION = "knowledge.change_article"
REVIEW_PERMISSION = "knowledge.review_article"


class Action(StrEnum):
    """The steps by name, as the editor's buttons and the admin's actions offer them (transition names)."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    TAKE_OFFLINE = "take_offline"
    REDRAFT = "redraft"
    # Done by the beat sweep, not by people.
    PUBLISH_DUE = "publish_due"
    EXPIRE = "expire"


ACTION_LABELS = {
    Action.SUBMIT: _("Submit for review"),
    Action.APPROVE: _("Approve and publish"),
    Action.REJECT: _("Send back to draft"),
    Action.TAKE_OFFLINE: _("Take offline"),
    Action.REDRAFT: _("Reopen as draft"),
}


def _allowed(permission: str) -> Guard:
    def guard(article: Article, step: Step) -> Refusal | None:
        if step.actor is None or not step.actor.has_perm(permission):
            return Refusal(str(_("You may not take this step.")), code="permission_denied")
        return None
    return guard


def _system_only(article: Article, step: Step) -> Refusal | None:
    if step.actor is not None:
        return Refusal(str(_("Only the scheduler takes this step.")), code="system_only")
    return None


def _not_the_author(article: Article, step: Step) -> Refusal | None:
    if article.author_id == step.actor.pk:
        return Refusal(str(_("The reviewer must not be the author.")), code="own_article")
    return None


def _publish_later(article: Article, now: datetime) -> bool:
    return bool(article.publish_at and article.publish_at > now)


def _publish_date_passed(article: Article, step: Step) -> Refusal | None:
    return _refused(article, step.target) if _publish_later(article, step.now) else None


def _publish_date_ahead(article: Article, step: Step) -> Refusal | None:
    return None if _publish_later(article, step.now) else _refused(article, step.target)


def _touched(article: Article, step: Step) -> None:
    step.changed.append("updated_at")


def _reviewed(article: Article, step: Step) -> None:
    article.reviewer = step.actor
    step.changed.append("reviewer")


def _published(article: Article, step: Step) -> None:
    article.published_at = step.now
    step.changed.append("published_at")


def _announce(article: Article, step: Step) -> None:
    # The bot answers from an in-memory index of published articles: rebuild it once the move is committed.
    transaction.on_commit(bot_index.invalidate)
    events.publish(
        "knowledge.article_status_changed",
        article_id=article.pk, action=step.name, old_status=step.source, new_status=article.status,
        actor_id=step.actor.pk if step.actor else None,
    )


_REVIEW = (_allowed(REVIEW_PERMISSION), _not_the_author)
TRANSITIONS = tuple(
    move(transition.sources, transition.target, transition.name, guards=transition.guards,
         effects=(_touched, *transition.effects), after_save=(_announce,))
    for transition in (
        move(S.DRAFT, S.IN_REVIEW, Action.SUBMIT, guards=(_allowed(EDIT_PERMISSION),)),
        move(S.IN_REVIEW, S.PUBLISHED, Action.APPROVE, guards=(*_REVIEW, _publish_date_passed),
             effects=(_reviewed, _published)),
        move(S.IN_REVIEW, S.SCHEDULED, Action.APPROVE, guards=(*_REVIEW, _publish_date_ahead), effects=(_reviewed,)),
        move(S.IN_REVIEW, S.DRAFT, Action.REJECT, guards=_REVIEW, effects=(_reviewed,)),
        move({S.PUBLISHED, S.SCHEDULED}, S.OFFLINE, Action.TAKE_OFFLINE, guards=(_allowed(REVIEW_PERMISSION),)),
        move(S.OFFLINE, S.DRAFT, Action.REDRAFT, guards=(_allowed(EDIT_PERMISSION),)),
        move(S.SCHEDULED, S.PUBLISHED, Action.PUBLISH_DUE, guards=(_system_only,), effects=(_published,)),
        move(S.PUBLISHED, S.OFFLINE, Action.EXPIRE, guards=(_system_only,)),
    )
)


def _refused(article: Article, target: str) -> Refusal:
    message = _("This article is %(status)s; that step is not possible now.")
    return Refusal(str(message) % {"status": article.get_status_display()}, code="invalid_transition")


def _lock(article: Article) -> Article:
    return Article.objects.select_for_update(of=("self",)).get(pk=article.pk)


WORKFLOW: Workflow[Article] = Workflow(transitions=TRANSITIONS, refused=_refused, lock=_lock, atomic=True,
                                       save_changed_only=True)


def target_of(action: Action, article: Article, now: datetime | None = None) -> str:
    """Where `action` takes `article`: approving an article with a future publish date schedules it."""
    if action is Action.APPROVE:
        return S.SCHEDULED if _publish_later(article, now or timezone.now()) else S.PUBLISHED
    return next(str(t.target) for t in TRANSITIONS if t.name == action)


def available_actions(article: Article, actor: object) -> list[Action]:
    """The people's steps `actor` may take on `article` now, in the order of ACTION_LABELS."""
    open_names = {transition.name for transition in WORKFLOW.allowed_transitions(article, actor=actor)}
    return [action for action in ACTION_LABELS if action in open_names]
