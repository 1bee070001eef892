"""The article editor outside the admin: permission across roles, saving through the services, workflow buttons."""

import pytest

from knowledge.models import Article, ArticleVersion
from tests.conftest import ALL_ROLES
from tests.knowledge.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_editor_needs_the_edit_permission(client_for, role: str) -> None:
    response = client_for(role).get("/help/editor/")
    # Supervisors run the knowledge base (profiles' role sync gives them knowledge.change_article).
    expected = {"anonymous": 302, "supervisor": 200, "admin": 200}.get(role, 403)
    assert response.status_code == expected


def test_an_agent_with_the_permission_writes_and_submits_an_article(client, editor_with) -> None:
    agent = editor_with("change_article")
    client.force_login(agent)
    category = CategoryFactory.create()
    data = {"category": category.pk, "slug": "gift-cards", "kind": "faq", "audience": "public", "tags": "礼品卡",
            "title_zh": "礼品卡怎么用", "question_zh": "", "body_zh": "结算时选择**礼品卡**", "title_en": "",
            "question_en": "", "body_en": "", "publish_at": "", "expires_at": ""}
    response = client.post("/help/editor/new/", data)
    assert response["Location"] == "/help/editor/gift-cards/"
    article = Article.objects.get(slug="gift-cards")
    assert (article.author, article.status, article.versions.count()) == (agent, Article.Status.DRAFT, 1)
    page = client.get("/help/editor/gift-cards/").content.decode()
    assert 'hx-post="/help/preview/"' in page and "提交审核" in page and "审核通过并发布" not in page
    # Each body's preview posts only that body.
    assert 'hx-params="body_zh"' in page and 'hx-params="body_en"' in page
    client.post("/help/editor/gift-cards/", {**data, "body_zh": "结算时选择礼品卡抵扣"})
    assert ArticleVersion.objects.filter(article=article).count() == 2
    client.post("/help/editor/gift-cards/transition/", {"action": "submit"})
    assert Article.objects.get(pk=article.pk).status == Article.Status.IN_REVIEW
    response = client.post("/help/editor/gift-cards/transition/", {"action": "approve"}, follow=True)
    assert "您无权执行此操作" in response.content.decode()
    assert client.post("/help/editor/gift-cards/transition/", {"action": "expire"}, follow=True).status_code == 200
    assert Article.objects.get(pk=article.pk).status == Article.Status.IN_REVIEW


def test_bad_input_shows_form_errors_and_writes_nothing(client, editor_with) -> None:
    client.force_login(editor_with("change_article"))
    response = client.post("/help/editor/new/", {"slug": "bad slug!", "title_zh": ""})
    assert response.status_code == 400
    assert not Article.objects.exists()


def test_the_preview_renders_what_the_editor_posts(client, editor_with) -> None:
    client.force_login(editor_with("change_article"))
    assert client.post("/help/preview/", {"body_zh": "**粗**"}).content.decode() == "<p><strong>粗</strong></p>"


def test_editor_list_query_count_is_constant(client, editor_with, django_assert_max_num_queries) -> None:
    client.force_login(editor_with("change_article"))
    ArticleFactory.create()
    client.get("/help/editor/")  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(12) as before:
        client.get("/help/editor/")
    for _ in range(5):
        ArticleFactory.create()
    with django_assert_max_num_queries(12) as after:
        client.get("/help/editor/")
    assert len(after.captured_queries) == len(before.captured_queries)
