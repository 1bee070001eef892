"""Articles to suggest: to agents for the ticket or chat message in front of them, and to customers
reading an article. Clicks and "helpful" votes already lift articles in `search_articles`."""

from collections import Counter

from core.segmentation import segment
from knowledge import selectors
from knowledge.models import Article
from knowledge.search import SearchHit, search_articles

MAX_TEXT_CHARS = 2000
KEY_TERMS = 8
SUGGESTED = 5


def key_terms(text: str, limit: int = KEY_TERMS) -> list[str]:
    """The words of a long message that best say what it is about: frequent first, then longer."""
    counts = Counter(token for token in segment(text[:MAX_TEXT_CHARS]) if len(token) > 1)
    return [term for term, _count in sorted(counts.items(), key=lambda item: (-item[1], -len(item[0])))[:limit]]


def articles_for_text(
    text: str, *, audience: str = Article.Audience.INTERNAL, limit: int = SUGGESTED
) -> list[SearchHit]:
    """Suggestions beside a ticket or chat message (agents see internal articles too)."""
    terms = key_terms(text)
    return search_articles(" ".join(terms), audience=audience, limit=limit) if terms else []


def related_questions(article: Article, *, audience: str = Article.Audience.PUBLIC) -> list[Article]:
    """What customers reading `article` also need: its linked articles, then the most read of its topic."""
    related = selectors.related_articles(article, audience)
    if len(related) >= selectors.RELATED_SHOWN:
        return related
    seen = {article.pk, *(other.pk for other in related)}
    more = [
        other for other in selectors.popular_in_category(article.category_id, audience)
        if other.pk not in seen
    ]
    return [*related, *more][: selectors.RELATED_SHOWN]
