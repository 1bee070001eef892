"""The bot's way into the knowledge base: the best article for a customer's question, the runners-up, and a
calibrated confidence (the probability the first one answers it, knowledge/bot_model.py)."""

from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from knowledge import bot_index, bot_model, search, services
from knowledge.models import Article, KnowledgeEvent, UnansweredQuestion
from profiles.models import User

MAX_QUESTION_CHARS = 500
DID_YOU_MEAN = 3


@dataclass(frozen=True)
class Answer:
    article: Article | None
    snippet: SafeString
    confidence: float
    alternatives: list[Article] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        return self.article is not None and self.confidence >= bot_model.load().threshold

    @property
    def did_you_mean(self) -> list[Article]:
        """The top three to offer when the answer is not confident."""
        return ([self.article] if self.article else []) + self.alternatives[: DID_YOU_MEAN - 1]


def answer_question(text: str, customer: User | None = None, *, log: bool = True) -> Answer:
    """The best public article for `text`. Logged (`log`): the answer as a knowledge event for the analytics, and a
    low-confidence question for the FAQ drafts."""
    text = text.strip()[:MAX_QUESTION_CHARS]
    answer = Answer(article=None, snippet=SafeString(""), confidence=0.0)
    if text:
        index = bot_index.current()
        ranking = index.ranker.rank(text, limit=DID_YOU_MEAN)
        ids = [index.article_ids[candidate.index] for candidate in ranking.candidates]
        found = Article.objects.select_related("category").in_bulk(ids)
        articles = [found[pk] for pk in ids if pk in found]
        if articles:
            snippet = search.snippet(articles[0].body_zh, search.parse_query(text))
            answer = Answer(article=articles[0], snippet=snippet, alternatives=articles[1:],
                            confidence=round(bot_model.load().confidence(ranking.features), 3))
    if log and text:
        kind = KnowledgeEvent.Kind.BOT_ANSWERED if answer.confident else KnowledgeEvent.Kind.BOT_UNSURE
        services.event_record(kind=kind, user=customer, article=answer.article, query=text,
                              confidence=answer.confidence)
    if log and text and not answer.confident:
        UnansweredQuestion.objects.create(
            text=text, customer=customer if customer and customer.is_authenticated else None,
            confidence=answer.confidence, best_article=answer.article,
        )
    return answer
