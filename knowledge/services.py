"""Writes of the knowledge base. Keyword-only, one transaction each, events on commit."""

import difflib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from core import events
from knowledge import bot_index, search
from knowledge.images import CleanImage
from knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleVersion,
    Category,
    KnowledgeEvent,
    ReviewTask,
)
from knowledge.rendering import MarkdownRefused, render_markdown
from knowledge.workflow import WORKFLOW, Action, target_of
from profiles.models import User

# Edits to these fields are what a reader sees: they make a new version and re-index the article.
CONTENT_FIELDS = ("title_zh", "title_en", "question_zh", "question_en", "body_zh", "body_en", "tags")
EDITABLE_FIELDS = (
    *CONTENT_FIELDS, "category", "slug", "kind", "audience", "publish_at", "expires_at",
)
MAX_FEEDBACK_COMMENT = 500
_RENDERED = {"body_zh": "body_html_zh", "body_en": "body_html_en"}


def _render_bodies(article: Article) -> None:
    """Store each body's HTML: the one place articles are rendered, so page views only read."""
    for source_field, html_field in _RENDERED.items():
        try:
            setattr(article, html_field, str(render_markdown(getattr(article, source_field))))
        except MarkdownRefused as refused:
            raise ValidationError({source_field: [str(refused)]}, code="markdown_refused") from None


def _after_content_change(article: Article, editor: User | None) -> ArticleVersion:
    search.refresh_search_vectors([article])
    transaction.on_commit(bot_index.invalidate)
    number = (article.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = ArticleVersion.objects.create(
        article=article, number=number, title_zh=article.title_zh, title_en=article.title_en,
        question_zh=article.question_zh, body_zh=article.body_zh, body_en=article.body_en, editor=editor,
    )
    if settings.ELASTICSEARCH_URL:
        from knowledge import elastic

        transaction.on_commit(lambda: elastic.index_articles([article.pk]))
    return version


@transaction.atomic
def article_create(
    *, category: Category, slug: str, title_zh: str, body_zh: str, author: User | None, **fields: Any
) -> Article:
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"related"}
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    related = fields.pop("related", [])
    article = Article(category=category, slug=slug, title_zh=title_zh, body_zh=body_zh, author=author, **fields)
    _render_bodies(article)
    article.save(force_insert=True)
    if related:
        article.related.set(related)
    _after_content_change(article, author)
    events.publish("knowledge.article_created", article_id=article.pk)
    return article


@transaction.atomic
def article_update(*, article: Article, editor: User | None, **changes: Any) -> Article:
    """Apply `changes`; a content change writes a version, re-indexes, and flags articles linked to a policy."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    locked = Article.objects.select_for_update(of=("self",)).get(pk=article.pk)
    content_changed = any(getattr(locked, name) != value for name, value in changes.items() if name in CONTENT_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    if any(name in _RENDERED for name in changes):
        _render_bodies(locked)
    locked.save()
    if content_changed:
        _after_content_change(locked, editor)
        if locked.kind == Article.Kind.POLICY and locked.status == Article.Status.PUBLISHED:
            request_reviews_for_policy_change(policy=locked)
    return locked


def request_reviews_for_policy_change(*, policy: Article) -> list[ReviewTask]:
    """Every article linked to `policy` gets one open "review needed" task (not a second one)."""
    tasks = []
    for linked in policy.related.exclude(status=Article.Status.OFFLINE).order_by("pk"):
        task = _open_review_task(article=linked, reason=ReviewTask.Reason.POLICY_CHANGED, source=policy)
        if task is not None:
            tasks.append(task)
    return tasks


def _open_review_task(*, article: Article, reason: str, source: Article | None = None) -> ReviewTask | None:
    if ReviewTask.objects.filter(article=article, reason=reason, status=ReviewTask.Status.OPEN).exists():
        return None
    try:
        with transaction.atomic():
            task = ReviewTask.objects.create(article=article, reason=reason, source=source)
    except IntegrityError:
        return None  # a concurrent sweep opened it first: the partial unique index says one is enough
    events.publish("knowledge.review_needed", task_id=task.pk, article_id=article.pk, reason=reason)
    return task


@transaction.atomic
def review_task_resolve(*, task: ReviewTask, user: User) -> ReviewTask:
    locked = ReviewTask.objects.select_for_update().get(pk=task.pk)
    if locked.status == ReviewTask.Status.OPEN:
        locked.status = ReviewTask.Status.DONE
        locked.resolved_at = timezone.now()
        locked.resolved_by = user
        locked.save(update_fields=["status", "resolved_at", "resolved_by"])
    return locked


def sweep_schedule(*, now: datetime | None = None) -> dict[str, int]:
    """Publish what is due, take expired articles offline with a review task. Safe to run repeatedly."""
    now = now or timezone.now()
    due = Article.objects.filter(status=Article.Status.SCHEDULED, publish_at__lte=now).values_list("pk", flat=True)
    expired = Article.objects.filter(status=Article.Status.PUBLISHED, expires_at__lte=now).values_list("pk", flat=True)
    published = expired_count = 0
    for pk in list(due):
        published += _sweep_one(pk, Action.PUBLISH_DUE, now)
    for pk in list(expired):
        expired_count += _sweep_one(pk, Action.EXPIRE, now)
    return {"published": published, "expired": expired_count}


@transaction.atomic
def _sweep_one(pk: int, action: Action, now: datetime) -> int:
    article = Article.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    # Gone, locked by an editor right now (next sweep), or already moved by a parallel sweep.
    if article is None or article.status != (
        Article.Status.SCHEDULED if action is Action.PUBLISH_DUE else Article.Status.PUBLISHED
    ):
        return 0
    WORKFLOW.transition(article, to=target_of(action, article, now), actor=None, now=now)
    if action is Action.EXPIRE:
        _open_review_task(article=article, reason=ReviewTask.Reason.EXPIRED)
    return 1


@transaction.atomic
def article_image_add(*, article: Article, image: CleanImage, alt: str = "", uploaded_by: User | None) -> ArticleImage:
    """Store an image already checked and re-encoded by `knowledge.images.clean_upload`."""
    return ArticleImage.objects.create(
        article=article, name=image.name, alt=alt.strip()[:200], content_type=image.content_type, data=image.data,
        width=image.width, height=image.height, size=len(image.data), uploaded_by=uploaded_by,
    )


@transaction.atomic
def feedback_submit(*, article: Article, user: User | None, helpful: bool, comment: str = "") -> ArticleFeedback:
    feedback = ArticleFeedback.objects.create(
        article=article, user=user if user and user.is_authenticated else None,
        helpful=helpful, comment=comment.strip()[:MAX_FEEDBACK_COMMENT],
    )
    counter = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    events.publish("knowledge.feedback", article_id=article.pk, helpful=helpful)
    return feedback


def article_record_view(*, article: Article, from_search: bool = False, reader: User | None = None) -> None:
    # Counters and one event row: no lock, no history row for something this frequent.
    updates: dict[str, Any] = {"view_count": F("view_count") + 1}
    if from_search:
        updates["click_count"] = F("click_count") + 1
    Article.objects.filter(pk=article.pk).update(**updates)
    event_record(kind=KnowledgeEvent.Kind.VIEW, user=reader, article=article)


def event_record(*, kind: str, user: User | None = None, article: Article | None = None, query: str = "",
                 confidence: float = 0.0) -> KnowledgeEvent:
    """Record a bot answer, a search or a view for the knowledge analytics (an anonymous reader is no user)."""
    return KnowledgeEvent.objects.create(
        kind=kind, user=user if user is not None and user.is_authenticated else None, article=article,
        query=query.strip()[:300], confidence=confidence,
    )


def search_record(*, query: str, results: int, user: User | None = None) -> KnowledgeEvent:
    """A help-centre search, with or without a result (the analytics list the ones without)."""
    kind = KnowledgeEvent.Kind.SEARCH if results else KnowledgeEvent.Kind.SEARCH_EMPTY
    return event_record(kind=kind, user=user, query=query)


def version_diff(older: ArticleVersion | None, newer: ArticleVersion) -> str:
    """A readable unified diff of title and body between two versions (plain text, escape it to show)."""

    def lines(version: ArticleVersion | None) -> list[str]:
        if version is None:
            return []
        return [f"# {version.title_zh}", "", *version.body_zh.splitlines(), "", *version.body_en.splitlines()]

    return "\n".join(
        difflib.unified_diff(
            lines(older), lines(newer), fromfile=f"v{older.number if older else 0}", tofile=f"v{newer.number}",
            lineterm="",
        )
    )


def reindex_all(*, batch: int = 1000, ids: Iterable[int] | None = None) -> int:
    """Recompute every stored search vector (after a dictionary or weight change), in batches."""
    queryset = Article.objects.order_by("pk").defer("search_vector")
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    done, last = 0, 0
    while True:
        chunk = list(queryset.filter(pk__gt=last)[:batch])
        if not chunk:
            return done
        with transaction.atomic():
            search.refresh_search_vectors(chunk)
        done += len(chunk)
        last = chunk[-1].pk
