"""The Elasticsearch backend without a server: the document mapping, the prepared fields, the query
sent, and how the answer is read back (the client is replaced by a stub returning canned hits).
Not tested here: a real cluster's scoring, index creation and bulk indexing over HTTP."""

from types import SimpleNamespace
from typing import Any

import pytest

from knowledge import elastic
from knowledge.models import Article
from knowledge.search import parse_query, search_articles
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_mapping_uses_whitespace_analysis_of_jieba_tokens_and_keyword_filters() -> None:
    mapping = elastic.ArticleDocument._doc_type.mapping.to_dict()["properties"]
    for name in ("title_tokens", "question_tokens", "body_tokens"):
        assert mapping[name] == {"type": "text", "analyzer": "whitespace"}
    for name in ("status", "audience", "slug", "kind"):
        assert mapping[name] == {"type": "keyword"}
    assert mapping["popularity"] == {"type": "integer"}
    assert elastic.ArticleDocument._index._name == "knowledge_articles"


def test_prepared_document_holds_segmented_text() -> None:
    article = ArticleFactory.create(title_zh="退货运费谁出", body_zh="质量问题由商家承担运费", tags=["运费"])
    document = elastic.ArticleDocument().prepare(article)
    assert document["title_tokens"].split()[:3] == ["退货", "运费", "谁"]
    assert "商家" in document["body_tokens"].split()
    assert document["status"] == "published" and document["audience"] == "public"


def test_query_filters_published_and_audience_and_boosts_the_title() -> None:
    query = elastic.build_query(parse_query("退钱"), audience="public", limit=5)
    bool_query = query["query"]["function_score"]["query"]["bool"]
    assert {"term": {"status": "published"}} in bool_query["filter"]
    assert {"terms": {"audience": ["public"]}} in bool_query["filter"]
    match = bool_query["must"][0]["multi_match"]
    assert match["fields"][0] == "title_tokens^10"
    assert query["size"] == 5
    internal = elastic.build_query(parse_query("退钱"), audience="internal", limit=5)
    internal_filter = internal["query"]["function_score"]["query"]["bool"]["filter"]
    assert {"terms": {"audience": ["public", "internal"]}} in internal_filter


def test_search_articles_uses_elasticsearch_when_configured(settings, monkeypatch) -> None:
    settings.ELASTICSEARCH_URL = "http://es.invalid:9200"
    first = ArticleFactory.create(slug="first", title_zh="退款说明")
    second = ArticleFactory.create(slug="second", title_zh="退款进度")
    internal = ArticleFactory.create(slug="internal", title_zh="退款内部", audience=Article.Audience.INTERNAL)
    sent: list[dict[str, Any]] = []

    class StubSearch:
        def update_from_dict(self, body: dict[str, Any]) -> "StubSearch":
            sent.append(body)
            return self

        def execute(self) -> list[Any]:
            # The cluster's answer; an article it should not have returned is dropped by the database check.
            return [SimpleNamespace(meta=SimpleNamespace(id=str(a.pk), score=s)) for a, s in
                    ((second, 9.0), (first, 3.0), (internal, 2.0))]

    monkeypatch.setattr(elastic, "_connect", lambda: None)
    monkeypatch.setattr(elastic.ArticleDocument, "search", classmethod(lambda cls: StubSearch()))
    hits = search_articles("退款")
    assert [hit.article.slug for hit in hits] == ["second", "first"]
    assert "<mark>退款</mark>" in hits[0].title_html
    assert sent[0]["query"]["function_score"]["query"]["bool"]["must"][0]["multi_match"]["query"] == "退款"


def test_saving_an_article_indexes_it_on_commit_when_configured(
    settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from django_elasticsearch_dsl import documents

    settings.ELASTICSEARCH_URL = "http://es.invalid:9200"
    sent: list[dict[str, Any]] = []

    def fake_bulk(client: Any, actions: Any, **kwargs: Any) -> tuple[int, list[Any]]:
        sent.extend(actions)
        return len(sent), []

    monkeypatch.setattr(elastic, "_connect", lambda: None)
    monkeypatch.setattr(documents, "bulk", fake_bulk)
    monkeypatch.setattr(elastic.ArticleDocument, "_get_connection", lambda self, using=None: None)
    with django_capture_on_commit_callbacks(execute=True):
        article = ArticleFactory.create(slug="refund", title_zh="退款说明", title_en="Refunds")
    assert [(a["_index"], a["_id"], a["_source"]["title_tokens"]) for a in sent] == [
        ("knowledge_articles", article.pk, "退款 说明 refunds")
    ]
