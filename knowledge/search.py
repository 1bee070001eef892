"""`search_articles`: one interface, two backends (PostgreSQL full-text by default, Elasticsearch when configured).

PostgreSQL: a weighted tsvector (title A, questions and tags B, body C) over jieba tokens, a GIN
index, and an OR query of the query's tokens each expanded with its synonyms, ranked by
ts_rank and nudged by readers' clicks and "helpful" votes.
"""

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.utils.safestring import SafeString

from core.highlight import highlight_terms, mark_terms
from core.highlight import snippet as highlight_snippet
from core.segmentation import MAX_QUERY_CHARS, index_text, segment
from knowledge.models import Article, Synonym
from knowledge.search_query import ParsedQuery, visible_articles

# ts_rank weights for D, C, B, A: a title hit counts ten times a body hit.
RANK_WEIGHTS = [0.05, 0.2, 0.5, 1.0]
# Readers' clicks and helpful votes break near-ties; they never outrank a clearly better text match.
POPULARITY_WEIGHT = 0.03
SNIPPET_BEFORE, SNIPPET_AFTER = 30, 90
MAX_LIMIT = 50
# Full-text search picks this many by ts_rank; `rerank` orders them.
RERANK_CANDIDATES = 40
# A word in more published articles than this is too common to find candidates by on its own.
COMMON_TERM_ROWS = 2000
# At most this many matching rows are ranked by ts_rank in one search.
RANKED_ROWS_CAP = 400
TERM_FREQUENCY_TTL = 600
# Title, questions and tags, body: where a query word is found in an article.
FIELD_WEIGHTS = (1.0, 0.7, 0.4)
_MARKDOWN_NOISE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|[#*_`>\[\]|-]+")


@dataclass(frozen=True)
class SearchHit:
    article: Article
    score: float
    title_html: SafeString
    snippet_html: SafeString


def parse_query(text: str) -> ParsedQuery:
    tokens = list(dict.fromkeys(segment(text[:MAX_QUERY_CHARS])))
    if not tokens:
        return ParsedQuery(groups=())
    expansions: dict[str, set[str]] = {token: {token} for token in tokens}
    for synonym in Synonym.objects.filter(is_active=True, terms__overlap=tokens).only("terms"):
        for token in tokens:
            if token in synonym.terms:
                # A synonym phrase may itself segment into several tokens ("原路退回" → 原路 退回).
                for term in synonym.terms:
                    expansions[token].update(segment(term) or [term.lower()])
    return ParsedQuery(groups=tuple(frozenset(expansions[token]) for token in tokens))


def search_articles(
    query: "str | ParsedQuery", *, audience: str = Article.Audience.PUBLIC, language: str = "zh-hans", limit: int = 10
) -> list[SearchHit]:
    """Published articles matching `query`, best first. `audience="internal"` includes agents-only articles."""
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    if not parsed.groups:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    if settings.ELASTICSEARCH_URL:
        from knowledge import elastic

        scored = elastic.search(parsed, audience=audience, limit=limit)
    else:
        scored = _postgres_search(parsed, audience=audience, limit=limit)
    english = language.startswith("en")
    return [
        SearchHit(
            article=article,
            score=score,
            title_html=highlight(article.title_en if english and article.title_en else article.title_zh, parsed),
            snippet_html=snippet(article.body_en if english and article.body_en else article.body_zh, parsed),
        )
        for article, score in scored
    ]


def _postgres_search(parsed: ParsedQuery, *, audience: str, limit: int) -> list[tuple[Article, float]]:
    """Rank with every query word, but find candidates by the selective ones.

    ts_rank has to read the vector of every matching row before it can sort, so a word found in
    half of a large knowledge base ("退款") would make each search rank tens of thousands of rows.
    Words in at most COMMON_TERM_ROWS articles pick the candidates; only when every word is common
    do all of them have to match.
    """
    full = SearchQuery(parsed.tsquery(), search_type="raw", config="simple")
    rank = SearchRank(F("search_vector"), full, weights=RANK_WEIGHTS, normalization=1)
    base = visible_articles(audience).select_related("category").defer("search_vector")
    frequency = term_frequencies(parsed.terms)
    selective = [group for group in parsed.groups if sum(frequency.get(term, 0) for term in group) < COMMON_TERM_ROWS]
    matching = visible_articles(audience).filter(
        search_vector=_any_of(selective) if selective else _all_of(parsed.groups)
    )
    # Bounded work per search: when even that matches a huge set, rank a capped sample of it.
    candidates = base.filter(pk__in=matching.values("pk")[:RANKED_ROWS_CAP])
    ranked = list(candidates.annotate(rank=rank).order_by("-rank", "pk")[: max(limit, RERANK_CANDIDATES)])
    return rerank(parsed, ranked)[:limit]


def _any_of(groups: Sequence[frozenset[str]]) -> SearchQuery:
    return SearchQuery(" | ".join(f"'{term}'" for group in groups for term in sorted(group)), search_type="raw",
                       config="simple")


def _all_of(groups: Sequence[frozenset[str]]) -> SearchQuery:
    clauses = ["(" + " | ".join(f"'{term}'" for term in sorted(group)) + ")" for group in groups]
    return SearchQuery(" & ".join(clauses), search_type="raw", config="simple")


def term_frequencies(terms: Iterable[str]) -> dict[str, int]:
    """How many published articles hold each term, counted up to COMMON_TERM_ROWS and cached briefly."""
    terms = sorted(terms)
    keys = {term: f"knowledge:df:{hashlib.blake2b(term.encode(), digest_size=12).hexdigest()}" for term in terms}
    cached = cache.get_many(list(keys.values()))
    found = {term: cached[key] for term, key in keys.items() if key in cached}
    missing = [term for term in terms if term not in found]
    if missing:
        with connection.cursor() as cursor:
            # LIMIT inside: a common word stops counting at the cap instead of scanning all its rows.
            cursor.execute(
                "SELECT t.term, (SELECT count(*) FROM (SELECT 1 FROM knowledge_article a "
                "WHERE a.status = 'published' AND a.search_vector @@ to_tsquery('simple', quote_literal(t.term)) "
                "LIMIT %s) s) FROM unnest(%s::text[]) AS t(term)",
                [COMMON_TERM_ROWS, missing],
            )
            counted = dict(cursor.fetchall())
        cache.set_many({keys[term]: count for term, count in counted.items()}, TERM_FREQUENCY_TTL)
        found.update(counted)
    return found


def rerank(parsed: ParsedQuery, candidates: Sequence[Article]) -> list[tuple[Article, float]]:
    """Order ts_rank's best candidates by how many of the query's distinctive words each one has.

    ts_rank has no notion of how rare a word is, so "新疆能发货吗" would rank every article about
    shipping above the one that mentions Xinjiang. Among the candidates, a word found in few of
    them weighs more (a local IDF), and a word in the title more than one in the body.
    """
    if not candidates:
        return []
    fields = [
        (
            f"{article.title_zh} {article.title_en}".lower(),
            f"{article.question_zh} {article.question_en} {' '.join(article.tags)}".lower(),
            f"{article.body_zh} {article.body_en}".lower(),
        )
        for article in candidates
    ]
    matches = [
        [max((weight for weight, text in zip(FIELD_WEIGHTS, texts, strict=True) if _contains(text, group)), default=0.0)
         for group in parsed.groups]
        for texts in fields
    ]
    total = len(candidates)
    idf = [
        math.log(1 + total / max(1, sum(1 for row in matches if row[index] > 0)))
        for index in range(len(parsed.groups))
    ]
    scored = []
    for article, row in zip(candidates, matches, strict=True):
        text_score = sum(weight * value for weight, value in zip(row, idf, strict=True))
        popularity = math.log(1 + article.click_count + article.helpful_yes)
        # `rank` is ts_rank, annotated by the query above.
        score = (text_score + float(getattr(article, "rank", 0.0))) * (1 + POPULARITY_WEIGHT * popularity)
        scored.append((article, round(score, 6)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return scored


def _contains(text: str, group: frozenset[str]) -> bool:
    return any(term in text for term in group)


def refresh_search_vectors(articles: Iterable[Article]) -> None:
    """Recompute the stored tsvector of `articles` (one statement per batch, no ORM save, no history)."""
    rows = [
        (
            index_text(article.title_zh, article.title_en),
            index_text(article.question_zh, article.question_en, " ".join(article.tags)),
            index_text(article.body_zh, article.body_en),
            article.pk,
        )
        for article in articles
    ]
    if not rows:
        return
    titles, questions, bodies, ids = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        # One statement per batch: a round trip per article is what made bulk re-indexing slow.
        cursor.execute(
            "UPDATE knowledge_article a SET search_vector = "
            "setweight(to_tsvector('simple', v.title), 'A') || setweight(to_tsvector('simple', v.question), 'B') || "
            "setweight(to_tsvector('simple', v.body), 'C') "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[]) AS v(title, question, body, id) "
            "WHERE a.id = v.id",
            [titles, questions, bodies, ids],
        )


def plain_text(markdown_text: str) -> str:
    return " ".join(_MARKDOWN_NOISE.sub(" ", markdown_text).split())


def _highlight_terms(parsed: ParsedQuery) -> list[str]:
    return highlight_terms(sorted(parsed.terms))


def highlight(text: str, parsed: ParsedQuery) -> SafeString:
    return mark_terms(text, _highlight_terms(parsed))


def snippet(markdown_text: str, parsed: ParsedQuery) -> SafeString:
    """A short window of the body around the first query word, escaped, query words in <mark>."""
    return highlight_snippet(plain_text(markdown_text), _highlight_terms(parsed), before=SNIPPET_BEFORE,
                             after=SNIPPET_AFTER)
