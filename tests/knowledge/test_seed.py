import io

import pytest
from django.apps import apps

from knowledge.models import Article, ArticleVersion, Category, Synonym
from knowledge.seed import seed_knowledge

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Category.objects.count(), Article.objects.count(), ArticleVersion.objects.count(), Synonym.objects.count(),
        Article.history.count(), Article.related.through.objects.count(),
    )


def test_demo_knowledge_base_is_complete_and_a_second_run_creates_nothing(make_user) -> None:
    make_user("admin", username="admin")
    out = io.StringIO()
    apps.get_app_config("knowledge").seed_demo(out)  # type: ignore[attr-defined]
    first = _counts()
    assert Article.objects.filter(status=Article.Status.PUBLISHED).count() >= 60
    assert Article.objects.filter(audience=Article.Audience.INTERNAL).exists()
    assert not Article.objects.filter(title_en="").exists()
    assert Category.objects.filter(parent__isnull=True).count() >= 5
    seed_knowledge(out)
    assert _counts() == first
    assert "0 new article(s)" in out.getvalue()
