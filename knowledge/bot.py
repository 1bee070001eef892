"""The bot's way into the knowledge base: the best article for a customer's question, and how sure it is."""

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.safestring import SafeString

from knowledge import search
from knowledge.models import Article, UnansweredQuestion
from knowledge.search_query import ParsedQuery
from profiles.models import User

MAX_QUESTION_CHARS = 500


@dataclass(frozen=True)
class Answer:
    article: Article | None
    snippet: SafeString
    confidence: float
    alternatives: list[Article] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        return self.article is not None and self.confidence >= settings.KNOWLEDGE_BOT_MIN_CONFIDENCE


def _text(article: Article) -> str:
    return " ".join([article.title_zh, article.title_en, article.question_zh, article.body_zh, *article.tags]).lower()


def coverage(parsed: ParsedQuery, article: Article, candidates: list[Article]) -> float:
    """How much of the question `article` covers (0 to 1), by weighted share of the question's words.

    Longer words say more than single characters; a word no candidate article knows at all
    ("火星" in "你们支持火星配送吗") counts double, because it is what the question is really about.
    """
    texts = [_text(candidate) for candidate in candidates]
    own = _text(article)
    total = covered = 0.0
    for group in parsed.groups:
        longest = max(len(term) for term in group)
        weight = math.sqrt(longest) if longest > 1 else 0.5
        if not any(term in text for text in texts for term in group):
            weight *= 2
        total += weight
        if any(term in own for term in group):
            covered += weight
    return covered / total if total else 0.0


def answer_question(text: str, customer: User | None = None, *, log: bool = True) -> Answer:
    """The best public article for `text`; a low-confidence question is logged for the FAQ drafts."""
    text = text.strip()[:MAX_QUESTION_CHARS]
    parsed = search.parse_query(text)
    hits = search.search_articles(parsed, audience=Article.Audience.PUBLIC, limit=4) if parsed.groups else []
    if not hits:
        answer = Answer(article=None, snippet=SafeString(""), confidence=0.0)
    else:
        top = hits[0]
        # How much of the question the article covers, and how clearly it beats the runner-up.
        margin = 1 - hits[1].score / top.score if len(hits) > 1 and top.score > 0 else 1.0
        covered = coverage(parsed, top.article, [hit.article for hit in hits])
        confidence = round(covered * (0.8 + 0.2 * margin), 3)
        answer = Answer(
            article=top.article, snippet=top.snippet_html, confidence=confidence,
            alternatives=[hit.article for hit in hits[1:]],
        )
    if log and text and not answer.confident:
        UnansweredQuestion.objects.create(
            text=text, customer=customer if customer and customer.is_authenticated else None,
            confidence=answer.confidence, best_article=answer.article,
        )
    return answer
