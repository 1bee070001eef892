"""Search over the demo knowledge base: segmentation, synonyms, weights, audience, snippets, bad input."""

import io

import pytest

from core.segmentation import MAX_QUERY_CHARS, segment
from knowledge import services
from knowledge.models import Article, Synonym
from knowledge.search import parse_query, search_articles
from knowledge.seed import seed_knowledge
from tests.knowledge.factories import SEARCH_FIXTURE_ARTICLES, ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_kb(make_user) -> None:
    make_user("admin", username="admin")
    seed_knowledge(io.StringIO(), articles=SEARCH_FIXTURE_ARTICLES)


def top(query: str, **kwargs) -> list[str]:
    return [hit.article.slug for hit in search_articles(query, **kwargs)]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        # Each needs segmentation: no article contains the question as one string.
        ("退货运费谁出", "return-shipping-fee"),
        ("快递到哪了", "track-package"),
        ("开增值税专用发票", "invoice-vat-special"),
        ("七天无理由退货有什么条件", "return-policy-7days"),
        ("新疆能发货吗", "delivery-remote"),
    ],
)
def test_questions_that_need_segmentation_find_their_article(demo_kb, query: str, slug: str) -> None:
    assert top(query)[0] == slug


def test_synonyms_expand_the_query(demo_kb) -> None:
    assert "退钱" in parse_query("什么时候退钱").terms and "退款" in parse_query("什么时候退钱").terms
    assert top("退钱多久到账")[0] == "refund-timeline"


def test_synonyms_are_editable_data(db) -> None:
    ArticleFactory.create(slug="courier", title_zh="快递公司说明", body_zh="关于快递。")
    assert top("速递") == []
    Synonym.objects.create(terms=["快递", "速递"])
    assert top("速递") == ["courier"]


def test_title_outweighs_body(db) -> None:
    ArticleFactory.create(slug="in-body", title_zh="常见问题", body_zh="这里顺带提到发票。")
    ArticleFactory.create(slug="in-title", title_zh="发票说明", body_zh="正文。")
    assert top("发票") == ["in-title", "in-body"]


def test_internal_articles_are_never_found_with_the_public_audience(demo_kb) -> None:
    assert "desk-compensation" not in top("客户要求赔偿补偿券", limit=50)
    assert top("客户要求赔偿补偿券", audience=Article.Audience.INTERNAL)[0] == "desk-compensation"


def test_only_published_articles_are_found(db) -> None:
    for status in Article.Status:
        ArticleFactory.create(slug=f"s-{status}", title_zh=f"积分规则{status}", status=status)
    assert top("积分规则") == ["s-published"]


def test_snippets_highlight_and_escape(db) -> None:
    body = "开头。" * 30 + "优惠券 <script>alert(1)</script> 使用规则"
    ArticleFactory.create(slug="x", title_zh="优惠券<b>说明</b>", body_zh=body)
    hit = search_articles("优惠券")[0]
    assert "<mark>优惠券</mark>" in hit.snippet_html and "<script>" not in hit.snippet_html
    assert "&lt;script" in hit.snippet_html and hit.snippet_html.startswith("…")
    assert hit.title_html == "<mark>优惠券</mark>&lt;b&gt;说明&lt;/b&gt;"


def test_english_language_shows_english_text(db) -> None:
    ArticleFactory.create(slug="x", title_zh="发票说明", title_en="Invoices", body_zh="正文", body_en="About invoices.")
    hit = search_articles("invoices", language="en")[0]
    assert hit.title_html == "<mark>Invoices</mark>"


@pytest.mark.parametrize("query", ["", "   ", "的了吗", "&|!():*'\\", "' | ! & <->", "退款" * 1000, "\x00退款"])
def test_odd_queries_never_fail(db, query: str) -> None:
    ArticleFactory.create(slug="refund", title_zh="退款说明")
    assert top(query) in ([], ["refund"])


def test_long_queries_are_capped(db) -> None:
    beyond_the_cap = "积分" * (MAX_QUERY_CHARS // 2) + "发票"
    assert "发票" in segment(beyond_the_cap)
    assert parse_query(beyond_the_cap).terms == {"积分"}


def test_clicks_and_helpful_votes_break_ties(db) -> None:
    plain = ArticleFactory.create(slug="a", title_zh="积分说明", body_zh="积分")
    liked = ArticleFactory.create(slug="b", title_zh="积分说明", body_zh="积分")
    assert top("积分") == ["a", "b"]
    for _ in range(5):
        services.feedback_submit(article=liked, user=None, helpful=True)
    services.article_record_view(article=plain)
    assert top("积分") == ["b", "a"]


def test_search_index_follows_edits(db) -> None:
    article = ArticleFactory.create(slug="a", title_zh="积分说明", body_zh="积分")
    services.article_update(article=article, editor=None, title_zh="京豆说明")
    assert top("京豆") == ["a"]


def test_common_words_do_not_pick_candidates_on_their_own(db, monkeypatch) -> None:
    from knowledge import search

    monkeypatch.setattr(search, "COMMON_TERM_ROWS", 3)
    for number in range(4):
        ArticleFactory.create(slug=f"refund-{number}", title_zh=f"退款说明{number}", body_zh="退款")
    ArticleFactory.create(slug="xinjiang", title_zh="新疆配送", body_zh="新疆可以配送需补运费")
    ArticleFactory.create(slug="both", title_zh="新疆退款", body_zh="新疆订单退款")
    assert search.term_frequencies(["退款", "新疆"]) == {"退款": 3, "新疆": 2}
    # "退款" is common: only articles with "新疆" are candidates, ranked with both words.
    assert top("新疆退款") == ["both", "xinjiang"]
    # Every word common: all of them must match.
    assert set(top("退款说明")) == {f"refund-{n}" for n in range(4)}
