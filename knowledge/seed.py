"""Loads the demo knowledge base through the services and the workflow. A second run creates nothing."""

from collections.abc import Sequence
from typing import TextIO

from knowledge import demo_data, services
from knowledge.models import Article, Category, Synonym
from knowledge.workflow import WORKFLOW, Action, target_of
from profiles.models import User

DEMO_PUBLISHER = "admin"


def seed_knowledge(stdout: TextIO, articles: Sequence[demo_data.DemoArticle] = demo_data.ARTICLES) -> int:
    categories: dict[str, Category] = {}
    for slug, parent, name_zh, name_en, description_zh, description_en in demo_data.CATEGORIES:
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "parent": categories.get(parent), "name_zh": name_zh, "name_en": name_en,
                "description_zh": description_zh, "description_en": description_en,
                "position": len(categories),
            },
        )
    for terms in demo_data.SYNONYMS:
        Synonym.objects.get_or_create(terms=list(terms))

    publisher = User.objects.filter(username=DEMO_PUBLISHER).first()
    existing = set(
        Article.objects.filter(slug__in=[data.slug for data in articles]).values_list("slug", flat=True)
    )
    created: list[tuple[Article, demo_data.DemoArticle]] = []
    for data in articles:
        if data.slug in existing:
            continue
        article = services.article_create(
            category=categories[data.category], slug=data.slug, author=None, kind=data.kind, audience=data.audience,
            title_zh=data.title_zh, title_en=data.title_en, question_zh="\n".join(data.questions),
            question_en="\n".join(data.questions_en),
            body_zh=data.body_zh, body_en=data.body_en, tags=list(data.tags),
        )
        if publisher is not None:
            for action in (Action.SUBMIT, Action.APPROVE):
                WORKFLOW.transition(article, to=target_of(action, article), actor=publisher)
        Article.objects.filter(pk=article.pk).update(view_count=data.views)
        created.append((article, data))
    demo_slugs = [data.slug for data in articles]
    by_slug = {article.slug: article for article in Article.objects.filter(slug__in=demo_slugs)}
    for article, data in created:
        article.related.add(*[by_slug[slug] for slug in data.related if slug in by_slug])
    stdout.write(f"Knowledge base ready ({len(created)} new article(s)).\n")
    return len(created)
