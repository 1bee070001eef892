"""The bot's in-memory ranking over the published public articles, built once per process and rebuilt when
the knowledge base changes. Each question reads one cache key, the knowledge base's version: a change
through the services deletes it, and the next question recomputes it (one aggregate query) and rebuilds
the index if it moved. The key also expires, so a change made around the services shows within a minute."""

import threading
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max

from knowledge import bot_model
from knowledge.models import Article, Synonym
from knowledge.ranking import Document, Ranker

VERSION_KEY = "knowledge:bot-index-version"
VERSION_SECONDS = 60
# Up to this many articles the index is rebuilt before answering (a few seconds); above, in the background.
SYNC_REBUILD_ARTICLES = 5000


@dataclass(frozen=True)
class BotIndex:
    ranker: Ranker
    article_ids: tuple[int, ...]  # by ranker document index
    version: str


_lock = threading.Lock()
_current: BotIndex | None = None
_rebuilding = False


def _version() -> str:
    published = Article.objects.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC)
    stats = published.aggregate(changed=Max("updated_at"), count=Count("id"))
    synonyms = Synonym.objects.filter(is_active=True).aggregate(count=Count("id"), last=Max("id"))
    return repr((stats["changed"], stats["count"], synonyms["count"], synonyms["last"]))


def build(version: str = "") -> BotIndex:
    rows = (
        Article.objects.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC)
        .order_by("pk")
        .values_list("pk", "title_zh", "title_en", "question_zh", "question_en", "body_zh", "body_en", "tags",
                     "helpful_yes", "helpful_no")
    )
    documents, ids = [], []
    for pk, title_zh, title_en, question_zh, question_en, body_zh, body_en, tags, yes, no in rows.iterator():
        questions = tuple(line.strip() for line in f"{question_zh}\n{question_en}".splitlines() if line.strip())
        documents.append(Document(key=str(pk), title=f"{title_zh} {title_en}", questions=questions,
                                  body=f"{body_zh} {body_en} {' '.join(tags or [])}", helpful_yes=yes, helpful_no=no))
        ids.append(pk)
    synonyms = [list(terms) for terms in Synonym.objects.filter(is_active=True).values_list("terms", flat=True)]
    ranker = Ranker(documents, synonyms, bot_model.load().params)
    return BotIndex(ranker=ranker, article_ids=tuple(ids), version=version)


def current() -> BotIndex:
    """The index for the published articles as they are now."""
    global _current
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _version()
        cache.set(VERSION_KEY, version, VERSION_SECONDS)
    index = _current
    if index is not None and index.version == version:
        return index
    if index is not None and len(index.article_ids) > SYNC_REBUILD_ARTICLES:
        # A large base takes minutes to segment: keep answering from the previous index meanwhile.
        _rebuild_in_background(version)
        return index
    with _lock:
        if _current is None or _current.version != version:
            _current = build(version)
        return _current


def _rebuild_in_background(version: str) -> None:
    global _rebuilding

    def run() -> None:
        global _current, _rebuilding
        try:
            fresh = build(version)
            with _lock:
                _current = fresh
        finally:
            _rebuilding = False
            connection.close()  # the thread's own database connection

    with _lock:
        if _rebuilding:
            return
        _rebuilding = True
    threading.Thread(target=run, name="knowledge-bot-index", daemon=True).start()


def invalidate() -> None:
    """The knowledge base changed: the next question checks the version again."""
    cache.delete(VERSION_KEY)
