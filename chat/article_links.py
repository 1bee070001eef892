"""The knowledge articles a ticket macro links, for `tickets.macro_articles` (chat sits above both apps)."""

from collections.abc import Iterable

from django.urls import reverse

from knowledge import selectors as knowledge_selectors
from tickets.macro_articles import LinkedArticle


def linked_articles(article_ids: Iterable[int], language: str) -> dict[int, LinkedArticle]:
    return {
        article.pk: LinkedArticle(
            title=article.title_en if language == "en" and article.title_en else article.title_zh,
            url=reverse("help:article", kwargs={"slug": article.slug}),
        )
        for article in knowledge_selectors.public_articles_by_id(list(article_ids))
    }
