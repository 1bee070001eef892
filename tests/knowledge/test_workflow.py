"""The article lifecycle: who may move an article, where to, and what the scheduler does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.workflow import TransitionNotAllowed
from knowledge import services
from knowledge.models import Article, ReviewTask
from knowledge.workflow import WORKFLOW, Action, available_actions, target_of
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db
S = Article.Status


@pytest.fixture
def author(editor_with):
    return editor_with("change_article", "review_article")


@pytest.fixture
def reviewer(editor_with):
    return editor_with("change_article", "review_article", role="supervisor")


def test_draft_goes_through_review_to_published_and_back(author, reviewer) -> None:
    article = ArticleFactory.create(status=S.DRAFT, author=author)
    article = WORKFLOW.transition(article, to=target_of(Action.SUBMIT, article), actor=author)
    assert article.status == S.IN_REVIEW
    article = WORKFLOW.transition(article, to=target_of(Action.APPROVE, article), actor=reviewer)
    assert (article.status, article.reviewer, article.published_at is not None) == (S.PUBLISHED, reviewer, True)
    article = WORKFLOW.transition(article, to=target_of(Action.TAKE_OFFLINE, article), actor=reviewer)
    article = WORKFLOW.transition(article, to=target_of(Action.REDRAFT, article), actor=author)
    assert article.status == S.DRAFT
    reasons = list(article.history.order_by("history_id").values_list("status", "history_change_reason"))
    assert reasons[-4:] == [
        (S.IN_REVIEW, "submit"), (S.PUBLISHED, "approve"), (S.OFFLINE, "take_offline"), (S.DRAFT, "redraft")
    ]


def test_the_reviewer_must_not_be_the_author(author) -> None:
    article = ArticleFactory.create(status=S.IN_REVIEW, author=author)
    with pytest.raises(TransitionNotAllowed) as error:
        WORKFLOW.transition(article, to=target_of(Action.APPROVE, article), actor=author)
    assert error.value.code == "own_article"
    assert Article.objects.get(pk=article.pk).status == S.IN_REVIEW
    assert Action.APPROVE not in available_actions(article, author)


@pytest.mark.parametrize("role", ["customer", "agent", "merchant_staff", "qa"])
def test_roles_without_the_permission_cannot_review(make_user, role: str) -> None:
    article = ArticleFactory.create(status=S.IN_REVIEW)
    with pytest.raises(TransitionNotAllowed) as error:
        WORKFLOW.transition(article, to=target_of(Action.APPROVE, article), actor=make_user(role))
    assert error.value.code == "permission_denied"


def test_editor_without_review_permission_can_submit_but_not_approve(editor_with, reviewer) -> None:
    writer = editor_with("change_article")
    article = ArticleFactory.create(status=S.DRAFT, author=reviewer)
    WORKFLOW.transition(article, to=target_of(Action.SUBMIT, article), actor=writer)
    with pytest.raises(TransitionNotAllowed):
        WORKFLOW.transition(article, to=target_of(Action.APPROVE, article), actor=writer)


def test_impossible_moves_are_refused(reviewer) -> None:
    article = ArticleFactory.create(status=S.DRAFT)
    with pytest.raises(TransitionNotAllowed) as error:
        WORKFLOW.transition(article, to=target_of(Action.APPROVE, article), actor=reviewer)
    assert error.value.code == "invalid_transition"
    with pytest.raises(TransitionNotAllowed) as error:
        WORKFLOW.transition(article, to=target_of(Action.PUBLISH_DUE, article), actor=reviewer)
    assert error.value.code == "invalid_transition"


def test_people_cannot_take_the_schedulers_steps(reviewer) -> None:
    article = ArticleFactory.create(status=S.SCHEDULED)
    with pytest.raises(TransitionNotAllowed) as error:
        WORKFLOW.transition(article, to=target_of(Action.PUBLISH_DUE, article), actor=reviewer)
    assert error.value.code == "system_only"


def test_approval_with_a_future_date_schedules_and_the_sweep_publishes(author, reviewer) -> None:
    later = timezone.now() + timedelta(hours=2)
    article = ArticleFactory.create(status=S.IN_REVIEW, author=author, publish_at=later)
    assert WORKFLOW.transition(article, to=target_of(Action.APPROVE, article), actor=reviewer).status == S.SCHEDULED
    assert services.sweep_schedule() == {"published": 0, "expired": 0}
    assert services.sweep_schedule(now=later + timedelta(minutes=1)) == {"published": 1, "expired": 0}
    assert Article.objects.get(pk=article.pk).status == S.PUBLISHED
    # Running again changes nothing.
    assert services.sweep_schedule(now=later + timedelta(minutes=2)) == {"published": 0, "expired": 0}


def test_expiry_takes_the_article_offline_and_opens_one_review_task() -> None:
    article = ArticleFactory.create(status=S.PUBLISHED, expires_at=timezone.now() - timedelta(minutes=1))
    assert services.sweep_schedule() == {"published": 0, "expired": 1}
    assert Article.objects.get(pk=article.pk).status == S.OFFLINE
    assert services.sweep_schedule() == {"published": 0, "expired": 0}
    task = ReviewTask.objects.get(article=article)
    assert (task.reason, task.status) == (ReviewTask.Reason.EXPIRED, ReviewTask.Status.OPEN)


def test_the_data_migration_puts_both_tasks_on_beat_idempotently() -> None:
    from django.apps import apps as global_apps
    from django_celery_beat.models import PeriodicTask

    from tests.migration_replay import replay_schedule

    # Transactional tests elsewhere flush the table under --reuse-db, so run the migration's step again.
    replay_schedule("knowledge.migrations.0002_beat_schedules", global_apps)
    replay_schedule("knowledge.migrations.0002_beat_schedules", global_apps)
    tasks = {
        task.task: (task.interval.every if task.interval else None, task.crontab.hour if task.crontab else None)
        for task in PeriodicTask.objects.filter(enabled=True, task__startswith="knowledge.")
        .select_related("interval", "crontab")
    }
    assert tasks == {
        "knowledge.tasks.sweep_article_schedule": (300, None),
        "knowledge.tasks.draft_faqs_nightly": (None, "3"),
    }
