"""The knowledge admin: saves go through the services, the workflow runs as actions, search is full-text."""

import pytest
from django.test import Client

from knowledge.models import Article, ArticleVersion, ReviewTask
from tests.knowledge.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_kb(make_user) -> tuple[Client, object]:
    client = Client()
    user = make_user("admin")
    client.force_login(user)
    return client, user


def test_adding_an_article_writes_version_one_and_indexes_it(admin_client_kb) -> None:
    client, user = admin_client_kb
    category = CategoryFactory.create()
    response = client.post("/admin/knowledge/article/add/", {
        "category": category.pk, "slug": "new-article", "kind": "faq", "audience": "public", "tags": "积分,会员",
        "title_zh": "积分兑换规则", "question_zh": "积分怎么换", "body_zh": "**100 积分**抵 1 元", "title_en": "",
        "question_en": "", "body_en": "", "publish_at_0": "", "publish_at_1": "",
        "expires_at_0": "", "expires_at_1": "",
        "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="new-article")
    assert (article.author, article.status, article.tags) == (user, Article.Status.DRAFT, ["积分", "会员"])
    assert ArticleVersion.objects.filter(article=article).count() == 1
    ArticleFactory.create(slug="other", title_zh="发票说明")
    found = client.get("/admin/knowledge/article/", {"q": "兑换"}).content.decode()
    assert "积分兑换规则" in found and "发票说明" not in found


def test_editing_a_published_policy_in_admin_opens_review_tasks_and_shows_the_diff(admin_client_kb) -> None:
    client, _user = admin_client_kb
    faq = ArticleFactory.create(slug="faq")
    policy = ArticleFactory.create(slug="policy", kind=Article.Kind.POLICY, body_zh="旧规则", related=[faq])
    data = {
        "category": policy.category_id, "slug": "policy", "kind": "policy", "audience": "public", "tags": "",
        "related": [faq.pk], "title_zh": policy.title_zh, "question_zh": "", "body_zh": "新规则",
        "title_en": policy.title_en, "question_en": "", "body_en": policy.body_en, "publish_at_0": "",
        "publish_at_1": "", "expires_at_0": "", "expires_at_1": "", "versions-TOTAL_FORMS": "1",
        "versions-INITIAL_FORMS": "1",
        "versions-0-id": ArticleVersion.objects.get(article=policy).pk, "versions-0-article": policy.pk,
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/knowledge/article/{policy.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ReviewTask.objects.filter(article=faq, source=policy).count() == 1
    page = client.get(f"/admin/knowledge/article/{policy.pk}/change/").content.decode()
    assert "-旧规则" in page and "+新规则" in page
    assert "knowledge/preview.js" in page


def test_workflow_actions_respect_the_author_rule(admin_client_kb) -> None:
    client, user = admin_client_kb
    own = ArticleFactory.create(slug="own", status=Article.Status.IN_REVIEW, author=user)
    other = ArticleFactory.create(slug="other", status=Article.Status.IN_REVIEW)
    response = client.post(
        "/admin/knowledge/article/", {"action": "workflow_approve", "_selected_action": [own.pk, other.pk]}, follow=True
    )
    assert "审核人不能是文章作者" in response.content.decode()
    assert Article.objects.get(pk=own.pk).status == Article.Status.IN_REVIEW
    assert Article.objects.get(pk=other.pk).status == Article.Status.PUBLISHED


@pytest.mark.parametrize("role", ["customer", "agent", "merchant_staff"])
def test_non_staff_roles_cannot_open_the_knowledge_admin(client_for, role: str) -> None:
    assert client_for(role).get("/admin/knowledge/article/").status_code == 302
