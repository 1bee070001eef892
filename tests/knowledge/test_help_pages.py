"""The help center pages across roles: start page, search, suggestions, categories, articles, feedback."""

# The pages are Chinese; their punctuation is full-width.
# ruff: noqa: RUF001

import pytest
from django.test import Client

from knowledge.models import Article, ArticleFeedback
from profiles.models import AgentProfile
from tests.conftest import ALL_ROLES
from tests.factories import AgentProfileFactory
from tests.knowledge.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db
STAFF = {"agent", "supervisor", "qa", "admin"}


@pytest.fixture
def kb() -> dict[str, Article]:
    parent = CategoryFactory.create(slug="aftersales", name_zh="售后服务", name_en="After-sales")
    refunds = CategoryFactory.create(slug="refunds", name_zh="退款", name_en="Refunds", parent=parent)
    public = ArticleFactory.create(
        slug="refund-timeline", category=refunds, title_zh="退款多久到账？", title_en="How long does a refund take?",
        body_zh="退款**原路退回**，1-3 个工作日到账。", body_en="Refunds take 1-3 working days.",
    )
    internal = ArticleFactory.create(
        slug="desk-escalation", category=refunds, title_zh="退款异常升级流程", body_zh="转支付组。",
        audience=Article.Audience.INTERNAL,
    )
    draft = ArticleFactory.create(slug="draft", category=refunds, title_zh="退款草稿", status=Article.Status.DRAFT)
    related = ArticleFactory.create(slug="refund-route", category=refunds, title_zh="退款会退到哪里？")
    public.related.add(related, internal)
    return {"public": public, "internal": internal, "draft": draft, "related": related}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_everyone_may_open_the_help_center(client_for, kb, role: str) -> None:
    text = client_for(role).get("/help/").content.decode()
    assert "<title>帮助中心 · 服务中心</title>" in text
    assert "退款多久到账？" in text and "售后服务" in text and ">退款</a>" in text
    assert "还需要帮助？" in text
    # Chat and the contact form serve customers (visitors sign in on the way); staff are not offered them.
    offered = role in ("anonymous", "customer")
    assert ('href="/help/chat/"' in text) is offered and ('href="/help/tickets/new/"' in text) is offered
    assert "退款草稿" not in text


@pytest.mark.parametrize("role", ALL_ROLES)
def test_internal_articles_only_for_staff(client_for, kb, role: str) -> None:
    client = client_for(role)
    response = client.get("/help/articles/desk-escalation/")
    search = client.get("/help/search/", {"q": "退款异常升级"}).content.decode()
    if role in STAFF:
        assert response.status_code == 200 and "仅客服可见" in response.content.decode()
        assert "desk-escalation" in search
    else:
        assert response.status_code == 404
        assert "desk-escalation" not in search
    related = client.get("/help/articles/refund-timeline/").content.decode()
    assert ("desk-escalation" in related) is (role in STAFF)


def test_drafts_are_not_readable(client_for, kb) -> None:
    assert client_for("admin").get("/help/articles/draft/").status_code == 404


def test_article_page_renders_markdown_counts_views_and_lists_related(client_for, kb) -> None:
    client = client_for("customer")
    text = client.get("/help/articles/refund-timeline/").content.decode()
    assert "<strong>原路退回</strong>" in text
    assert "退款会退到哪里？" in text and "这篇文章有帮助吗？" in text
    client.get("/help/articles/refund-timeline/?from=search")
    kb["public"].refresh_from_db()
    assert (kb["public"].view_count, kb["public"].click_count) == (2, 1)


def test_article_in_english(client_for, kb) -> None:
    client = client_for("anonymous")
    client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    text = client.get("/help/articles/refund-timeline/").content.decode()
    assert "How long does a refund take?" in text and "Refunds take 1-3 working days." in text


def test_script_in_an_article_body_is_not_executed(client_for, kb) -> None:
    ArticleFactory.create(
        slug="evil", title_zh="<script>alert(1)</script>标题", body_zh="<script>alert(2)</script>**正文**"
    )
    text = client_for("anonymous").get("/help/articles/evil/").content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;标题" in text


def test_search_page_shows_highlighted_snippets(client_for, kb) -> None:
    text = client_for("anonymous").get("/help/search/", {"q": "退款到账"}).content.decode()
    assert '<a href="/help/articles/refund-timeline/?from=search"><mark>退款</mark>多久<mark>到账</mark>？</a>' in text


@pytest.mark.parametrize("query", ["", "<script>alert(1)</script>", "退款" * 500, "'\"&|!", "的了吗"])
def test_search_handles_bad_input(client_for, kb, query: str) -> None:
    response = client_for("anonymous").get("/help/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_suggestions_are_an_htmx_fragment(client_for, kb) -> None:
    client = client_for("anonymous")
    text = client.get("/help/suggest/", {"q": "退款"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in text and "refund-timeline" in text
    assert "暂无匹配的文章" in client.get("/help/suggest/", {"q": "火星"}).content.decode()
    assert client.get("/help/suggest/").content.decode().strip() == ""


def test_category_page_lists_its_and_its_childrens_articles(client_for, kb) -> None:
    text = client_for("customer").get("/help/categories/aftersales/").content.decode()
    assert "退款多久到账？" in text and "退款草稿" not in text and "退款异常升级流程" not in text
    assert client_for("customer").get("/help/categories/nope/").status_code == 404


def test_feedback_with_htmx_counts_once_per_session(client_for, kb) -> None:
    client = client_for("customer")
    url = "/help/articles/refund-timeline/feedback/"
    response = client.post(url, {"helpful": "no", "comment": "没写清楚周末算不算"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "感谢您的反馈" in response.content.decode()
    client.post(url, {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    kb["public"].refresh_from_db()
    assert (kb["public"].helpful_yes, kb["public"].helpful_no) == (0, 1)
    assert ArticleFeedback.objects.get().comment == "没写清楚周末算不算"
    assert "感谢您的反馈" in client.get("/help/articles/refund-timeline/").content.decode()


def test_feedback_without_htmx_redirects_and_bad_feedback_is_a_400(client_for, kb) -> None:
    client = client_for("anonymous")
    url = "/help/articles/refund-timeline/feedback/"
    assert client.post(url, {"helpful": "maybe"}).status_code == 400
    assert client.post(url, {"helpful": "yes", "comment": "x" * 501}).status_code == 400
    assert not ArticleFeedback.objects.exists()
    assert client.post(url, {"helpful": "yes"})["Location"] == "/help/articles/refund-timeline/"
    internal = client_for("customer").post("/help/articles/desk-escalation/feedback/", {"helpful": "yes"})
    assert internal.status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_preview_needs_the_edit_permission(client_for, role: str) -> None:
    response = client_for(role).post("/help/preview/", {"body": "**粗** <script>x</script>"})
    # Supervisors run the knowledge base (profiles' role sync gives them knowledge.change_article).
    if role in ("supervisor", "admin"):
        assert response.content.decode() == "<p><strong>粗</strong> x</p>"  # raw tags dropped, their words kept
    else:
        assert response.status_code == 403


def test_help_center_query_count_does_not_grow_with_rows(client_for, kb, django_assert_max_num_queries) -> None:
    client = client_for("agent")
    client.get("/help/")  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(14) as before:
        client.get("/help/")
    for number in range(6):
        category = CategoryFactory.create(slug=f"extra-{number}", parent=kb["public"].category.parent)
        ArticleFactory.create(category=category, slug=f"extra-{number}")
        AgentProfileFactory.create(presence=AgentProfile.Presence.ONLINE)
    with django_assert_max_num_queries(14) as after:
        client.get("/help/")
    assert len(after.captured_queries) == len(before.captured_queries)


def test_search_and_article_query_counts_are_constant(client_for, kb, django_assert_num_queries) -> None:
    client = Client()
    for number in range(10):
        ArticleFactory.create(slug=f"more-{number}", title_zh=f"退款问题{number}", category=kb["public"].category)
    # synonyms, how common the words are (then cached), articles, the search event for knowledge analytics
    with django_assert_num_queries(4):
        client.get("/help/search/", {"q": "退款"})
    for number in range(5):
        kb["public"].related.add(ArticleFactory.create(slug=f"rel-{number}"))
    # article, view counter, the view event for knowledge analytics, related (no session without a login)
    with django_assert_num_queries(4):
        client.get("/help/articles/refund-timeline/")
