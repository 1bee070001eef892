"""Reads for the help center, the bot and the desk: what a reader may see, with related rows fetched once."""

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Prefetch, Q, QuerySet

from knowledge.models import Article, ArticleImage, Category, ReviewTask
from knowledge.search_query import visible_articles
from knowledge.workflow import EDIT_PERMISSION
from profiles.models import AgentProfile, User
from profiles.roles import DESK_ROLES

TOP_QUESTIONS = 8
RELATED_SHOWN = 5
CATEGORY_PAGE_SIZE = 50
EDITOR_PAGE_SIZE = 50
REVIEW_TASKS_SHOWN = 50
# The desk badge counts at most this many open tasks ("99+" beyond): never a full COUNT(*).
REVIEW_TASK_COUNT_CAP = 100


def audience_for(user: Any) -> str:
    """Agents and everyone above them read internal articles too; customers and the public do not."""
    if user is not None and user.is_authenticated and (user.is_superuser or user.role_names & DESK_ROLES):
        return Article.Audience.INTERNAL
    return Article.Audience.PUBLIC


def _listed(audience: str) -> QuerySet[Article]:
    # Lists never need the bodies or the search vector.
    return visible_articles(audience).only("pk", "slug", "title_zh", "title_en", "kind", "audience", "category_id")


def top_questions(audience: str, limit: int = TOP_QUESTIONS) -> list[Article]:
    return list(_listed(audience).filter(kind=Article.Kind.FAQ).order_by("-view_count", "pk")[:limit])


def category_tree(audience: str) -> list[Category]:
    """Top-level categories with their children; categories with nothing to read for `audience` are left out."""
    visible = Category.objects.filter(
        Q(articles__in=visible_articles(audience)) | Q(children__articles__in=visible_articles(audience))
    ).values("pk")
    children = Category.objects.filter(pk__in=visible).order_by("position", "pk")
    return list(
        Category.objects.filter(parent__isnull=True, pk__in=visible)
        .prefetch_related(Prefetch("children", queryset=children, to_attr="visible_children"))
        .order_by("position", "pk")
    )


def category_with_articles(slug: str, audience: str) -> tuple[Category, list[Article]] | None:
    category = Category.objects.select_related("parent").filter(slug=slug).first()
    if category is None:
        return None
    articles = list(
        _listed(audience)
        .filter(Q(category=category) | Q(category__parent=category))
        .order_by("-view_count", "pk")[:CATEGORY_PAGE_SIZE]
    )
    return category, articles


def article_for_reader(slug: str, audience: str) -> Article | None:
    return visible_articles(audience).select_related("category", "category__parent").defer("search_vector").filter(
        slug=slug
    ).first()


def related_articles(article: Article, audience: str) -> list[Article]:
    return list(_listed(audience).filter(related=article).order_by("-view_count", "pk")[:RELATED_SHOWN])


def popular_in_category(category_id: int, audience: str) -> list[Article]:
    return list(_listed(audience).filter(category_id=category_id).order_by("-view_count", "pk")[: RELATED_SHOWN + 1])


def agents_online_count() -> int:
    return AgentProfile.objects.filter(presence=AgentProfile.Presence.ONLINE).count()


# --- The editor (/help/editor/) ---


def articles_for_editor(limit: int = EDITOR_PAGE_SIZE) -> list[Article]:
    """The most recently changed articles of every status and audience."""
    return list(
        Article.objects.select_related("category", "author")
        .only("slug", "title_zh", "status", "kind", "audience", "updated_at", "category__name_zh",
              "category__name_en", "author__username", "author__display_name")
        .order_by("-updated_at", "-pk")[:limit]
    )


def article_for_editor(slug: str) -> Article | None:
    return Article.objects.select_related("category").defer("search_vector").filter(slug=slug).first()


def article_images(article: Article) -> list[ArticleImage]:
    # The bytes are only read when an image is served.
    return list(article.images.defer("data").order_by("pk"))


def image_for_viewer(pk: int, name: str, user: Any) -> tuple[ArticleImage, bool] | None:
    """The image and whether anyone may see it, or None when `user` may not (the caller answers 404).

    An image is as visible as its article: everyone sees those of published public articles, the desk
    those of published internal ones, and editors every image, drafts included.
    """
    image = (
        ArticleImage.objects.select_related("article")
        .only("name", "content_type", "data", "article__status", "article__audience")
        .filter(pk=pk, name=name)
        .first()
    )
    if image is None:
        return None
    published = image.article.status == Article.Status.PUBLISHED
    public = published and image.article.audience == Article.Audience.PUBLIC
    if public or (published and audience_for(user) == Article.Audience.INTERNAL):
        return image, public
    if user is not None and user.is_authenticated and user.has_perm(EDIT_PERMISSION):
        return image, False
    return None


def open_review_tasks(limit: int = REVIEW_TASKS_SHOWN) -> list[ReviewTask]:
    """Oldest first: an expired article has waited longest."""
    return list(
        ReviewTask.objects.filter(status=ReviewTask.Status.OPEN)
        .select_related("article", "source")
        .only("reason", "created_at", "article__slug", "article__title_zh", "article__status",
              "source__slug", "source__title_zh")
        .order_by("created_at", "pk")[:limit]
    )


def open_review_task_count() -> int:
    return ReviewTask.objects.filter(status=ReviewTask.Status.OPEN)[:REVIEW_TASK_COUNT_CAP].count()


def open_review_task(pk: int) -> ReviewTask | None:
    return ReviewTask.objects.filter(pk=pk, status=ReviewTask.Status.OPEN).first()


def review_task_with_articles(pk: int) -> ReviewTask | None:
    return ReviewTask.objects.select_related("article", "source").defer(
        "article__search_vector", "source__search_vector"
    ).filter(pk=pk).first()


def editors() -> list[User]:
    """Active people who may edit articles (directly, through a role, or as superusers)."""
    permission = Permission.objects.filter(content_type__app_label="knowledge", codename="change_article")
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("pk")
    )


def public_articles_by_id(article_ids: list[int]) -> list[Article]:
    """Published articles a customer may read, among these ids (what a reply may link to)."""
    return list(_listed(Article.Audience.PUBLIC).filter(pk__in=article_ids))
