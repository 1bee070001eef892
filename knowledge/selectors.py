"""Reads for the help center, the bot and the desk: what a reader may see, with related rows fetched once."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from knowledge.models import Article, Category
from knowledge.search import visible_articles
from profiles.models import AgentProfile
from profiles.roles import DESK_ROLES

TOP_QUESTIONS = 8
RELATED_SHOWN = 5
CATEGORY_PAGE_SIZE = 50


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
