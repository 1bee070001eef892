"""The knowledge API across roles, and the recommendations it serves to agents."""

# Customers write Chinese with full-width punctuation.
# ruff: noqa: RUF001

import pytest

from knowledge.models import Article
from knowledge.recommend import key_terms, related_questions
from tests.conftest import ALL_ROLES
from tests.knowledge.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db
STAFF = {"agent", "supervisor", "qa", "admin"}


@pytest.fixture
def kb() -> dict[str, Article]:
    return {
        "public": ArticleFactory.create(slug="refund", title_zh="退款多久到账", body_zh="退款**原路退回**"),
        "internal": ArticleFactory.create(
            slug="escalate", title_zh="退款异常升级流程", body_zh="转支付组", audience=Article.Audience.INTERNAL
        ),
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_search_by_role(client_for, kb, role: str) -> None:
    response = client_for(role).get("/api/v1/knowledge/articles/", {"q": "退款"})
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    slugs = [hit["slug"] for hit in response.json()]
    assert "refund" in slugs
    assert ("escalate" in slugs) is (role in STAFF)
    assert response.json()[slugs.index("refund")]["title_html"] == "<mark>退款</mark>多久到账"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_article_detail_by_role(client_for, kb, role: str) -> None:
    client = client_for(role)
    if role == "anonymous":
        assert client.get("/api/v1/knowledge/articles/refund/").status_code in (401, 403)
        return
    body = client.get("/api/v1/knowledge/articles/refund/").json()
    assert body["body_html"] == "<p>退款<strong>原路退回</strong></p>"
    assert client.get("/api/v1/knowledge/articles/escalate/").status_code == (200 if role in STAFF else 404)


def test_bad_search_input_is_a_400_with_field_errors(client_for, kb) -> None:
    client = client_for("agent")
    assert list(client.get("/api/v1/knowledge/articles/").json()["error"]["fields"]) == ["q"]
    assert client.get("/api/v1/knowledge/articles/", {"q": "退款", "limit": "x"}).status_code == 400
    assert client.get("/api/v1/knowledge/articles/", {"q": "'&|!" * 200}).status_code == 200


@pytest.mark.parametrize("role", ALL_ROLES)
def test_suggestions_for_a_ticket_are_for_desk_roles(client_for, kb, role: str) -> None:
    text = "您好，我上周申请的退款到现在还没有到账，退款状态一直显示处理中，能帮我查一下吗？"
    response = client_for(role).post("/api/v1/knowledge/articles/suggestions/", {"text": text},
                                     content_type="application/json")
    if role in STAFF:
        assert response.status_code == 200
        assert {hit["slug"] for hit in response.json()} == {"refund", "escalate"}
    else:
        assert response.status_code in (401, 403)


def test_suggestions_validate_the_text(client_for) -> None:
    response = client_for("agent").post("/api/v1/knowledge/articles/suggestions/", {"text": ""},
                                        content_type="application/json")
    assert response.status_code == 400 and "text" in response.json()["error"]["fields"]


def test_key_terms_pick_what_a_long_message_is_about() -> None:
    terms = key_terms("退款退款退款，我的快递到了但是东西坏了，想退款")
    assert terms[0] == "退款" and "快递" in terms


def test_related_questions_fill_up_from_the_topic() -> None:
    category = CategoryFactory.create()
    article = ArticleFactory.create(category=category, slug="main")
    linked = ArticleFactory.create(slug="linked")
    article.related.add(linked)
    popular = ArticleFactory.create(category=category, slug="popular")
    Article.objects.filter(pk=popular.pk).update(view_count=99)
    ArticleFactory.create(category=category, slug="internal", audience=Article.Audience.INTERNAL)
    assert [a.slug for a in related_questions(article)] == ["linked", "popular"]
