"""Factories of the knowledge base. Articles go through the service so versions and the index exist."""

from typing import Any

import factory
from factory.django import DjangoModelFactory

from knowledge import services
from knowledge.demo_data import ARTICLES
from knowledge.models import Article, Category, Synonym


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_zh = factory.Sequence(lambda n: f"分类{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(DjangoModelFactory[Article]):
    class Meta:
        model = Article

    category = factory.SubFactory(CategoryFactory)
    slug = factory.Sequence(lambda n: f"article-{n}")
    title_zh = factory.Sequence(lambda n: f"文章标题{n}")
    title_en = factory.Sequence(lambda n: f"Article {n}")
    body_zh = "正文内容。"
    body_en = "Body text."
    status = Article.Status.PUBLISHED
    author = None

    @classmethod
    def _create(cls, model_class: Any, *args: Any, status: str = Article.Status.PUBLISHED, **kwargs: Any) -> Article:
        article = services.article_create(**kwargs)
        # Tests start from any state; the workflow itself is tested through WORKFLOW.transition.
        Article.objects.filter(pk=article.pk).update(status=status)
        article.status = status
        return article


class SynonymFactory(DjangoModelFactory[Synonym]):
    class Meta:
        model = Synonym

    terms = factory.List(["退款", "退钱"])


# The first 62 demo articles, which the search and help-page tests were written against; the other ~100
# (the bot's coverage) would cost every test that seeds them several more seconds and change nothing they check.
SEARCH_FIXTURE_ARTICLES = ARTICLES[:62]
