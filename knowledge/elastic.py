"""The Elasticsearch backend of `search_articles`, used when ELASTICSEARCH_URL is set.

Text is segmented by jieba here, as for PostgreSQL, and indexed with the whitespace analyzer,
so both backends see the same tokens and no Chinese analysis plugin is needed on the cluster.
Articles are indexed explicitly by the services on commit (django_elasticsearch_dsl's
signal-driven autosync is not installed), and results are re-read from PostgreSQL so the
database stays the authority on what is published and to whom.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django_elasticsearch_dsl import Document, fields
from django_elasticsearch_dsl.registries import registry
from elasticsearch.dsl import connections

from core.segmentation import index_text
from knowledge.models import Article
from knowledge.search_query import ParsedQuery, visible_articles

INDEX = "knowledge_articles"
FIELD_BOOSTS = ("title_tokens^10", "question_tokens^4", "body_tokens")


@registry.register_document
class ArticleDocument(Document):
    slug = fields.KeywordField()
    kind = fields.KeywordField()
    audience = fields.KeywordField()
    status = fields.KeywordField()
    title_tokens = fields.TextField(analyzer="whitespace")
    question_tokens = fields.TextField(analyzer="whitespace")
    body_tokens = fields.TextField(analyzer="whitespace")
    popularity = fields.IntegerField()

    class Index:
        name = INDEX
        settings = {"number_of_shards": 1, "number_of_replicas": 0}

    class Django:
        model = Article
        fields = ["title_zh", "title_en"]

    def prepare(self, instance: Article) -> dict[str, Any]:
        # django-elasticsearch-dsl 9.0 caches its preparers in an attribute that elasticsearch.dsl's
        # Document stores as document data instead, so the cache is always empty; build it here.
        return {name: prepare(instance) for name, _field, prepare in self.init_prepare()}

    def prepare_title_tokens(self, instance: Article) -> str:
        return index_text(instance.title_zh, instance.title_en)

    def prepare_question_tokens(self, instance: Article) -> str:
        return index_text(instance.question_zh, instance.question_en, " ".join(instance.tags))

    def prepare_body_tokens(self, instance: Article) -> str:
        return index_text(instance.body_zh, instance.body_en)

    def prepare_popularity(self, instance: Article) -> int:
        return instance.click_count + instance.helpful_yes


def _connect() -> None:
    connections.create_connection(alias="default", hosts=[settings.ELASTICSEARCH_URL])


def build_query(parsed: ParsedQuery, *, audience: str, limit: int) -> dict[str, Any]:
    audiences = [Article.Audience.PUBLIC.value]
    if audience == Article.Audience.INTERNAL:
        audiences.append(Article.Audience.INTERNAL.value)
    return {
        "size": limit,
        "_source": False,
        "query": {
            "function_score": {
                "query": {
                    "bool": {
                        "filter": [
                            {"term": {"status": Article.Status.PUBLISHED.value}},
                            {"terms": {"audience": audiences}},
                        ],
                        "must": [
                            {
                                "multi_match": {
                                    "query": " ".join(sorted(parsed.terms)),
                                    "fields": list(FIELD_BOOSTS),
                                    "type": "most_fields",
                                    "operator": "or",
                                }
                            }
                        ],
                    }
                },
                # The same nudge as on PostgreSQL: popular articles win near-ties only.
                "field_value_factor": {"field": "popularity", "modifier": "ln2p", "factor": 0.03, "missing": 0},
                "boost_mode": "multiply",
            }
        },
    }


def search(parsed: ParsedQuery, *, audience: str, limit: int) -> list[tuple[Article, float]]:
    _connect()
    response = ArticleDocument.search().update_from_dict(build_query(parsed, audience=audience, limit=limit)).execute()
    scores = {int(hit.meta.id): float(hit.meta.score) for hit in response}
    articles = visible_articles(audience).filter(pk__in=scores).select_related("category").defer("search_vector")
    return sorted(((article, scores[article.pk]) for article in articles), key=lambda pair: (-pair[1], pair[0].pk))


def index_articles(ids: Iterable[int]) -> None:
    _connect()
    ArticleDocument().update(Article.objects.filter(pk__in=list(ids)))
