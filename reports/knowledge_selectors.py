"""Knowledge analytics (issue 22, item 6): how often the bot deflects a question, which questions it could
not answer (clustered, so an editor drafts one FAQ per group), which articles are read and found helpful,
and which searches found nothing. Read from the knowledge events the bot, the help-centre search and the
article page record (knowledge.services.event_record), the readers' votes and the unanswered questions.

A fixed number of queries whatever the range or the data: per-day figures are grouped in the database."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, DateField, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.utils import timezone
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from chat.models import Conversation
from core.segmentation import segment
from knowledge.models import Article, ArticleFeedback, KnowledgeEvent, UnansweredQuestion
from reports.rollups import day_bounds, days_between
from tickets.models import Ticket

Kind = KnowledgeEvent.Kind
# A bot answer counts as deflected when the customer neither reached a person nor opened a ticket within this.
DEFLECTION_WINDOW = timedelta(hours=24)
TOP_ARTICLES = 20
TOP_EMPTY_SEARCHES = 20
# The clusters are drawn from the newest questions only: agglomerative clustering is quadratic in memory.
MAX_CLUSTERED = 1000
TOP_CLUSTERS = 15
EXAMPLES_SHOWN = 5
# Cosine distance (1 - similarity of the TF-IDF vectors) under which two groups of questions merge.
CLUSTER_DISTANCE = 0.75


@dataclass(frozen=True)
class Day:
    day: date
    bot_questions: int = 0
    bot_answered: int = 0
    deflected: int = 0
    searches: int = 0
    empty_searches: int = 0
    views: int = 0
    helpful_yes: int = 0
    helpful_no: int = 0

    @property
    def deflection_rate(self) -> float | None:
        return self.deflected / self.bot_questions if self.bot_questions else None


@dataclass(frozen=True)
class ArticleRow:
    article: Article
    views: int
    helpful_yes: int
    helpful_no: int

    @property
    def helpful_share(self) -> float | None:
        votes = self.helpful_yes + self.helpful_no
        return self.helpful_yes / votes if votes else None


@dataclass(frozen=True)
class EmptySearch:
    query: str
    count: int
    last_at: object


@dataclass(frozen=True)
class QuestionCluster:
    question_ids: list[int]
    examples: list[str]
    words: list[str]
    mean_confidence: float

    @property
    def size(self) -> int:
        return len(self.question_ids)


@dataclass(frozen=True)
class KnowledgeFigures:
    days: list[Day]
    articles: list[ArticleRow]
    empty_searches: list[EmptySearch]
    totals: Day = field(init=False)

    def __post_init__(self) -> None:
        names = [name for name in Day.__dataclass_fields__ if name != "day"]
        summed = {name: sum(getattr(day, name) for day in self.days) for name in names}
        object.__setattr__(self, "totals", Day(day=self.days[0].day if self.days else date.min, **summed))


def _events(first: date, last: date) -> QuerySet[KnowledgeEvent]:
    start, _end = day_bounds(first)
    _start, end = day_bounds(last)
    return KnowledgeEvent.objects.filter(created_at__gte=start, created_at__lt=end)


def _local_day(column: str) -> TruncDate:
    return TruncDate(column, tzinfo=timezone.get_default_timezone(), output_field=DateField())


def _handed_over() -> Exists:
    return Exists(Conversation.objects.filter(
        customer=OuterRef("user"), waiting_since__gte=OuterRef("created_at"),
        waiting_since__lt=OuterRef("created_at") + DEFLECTION_WINDOW))


def _ticketed() -> Exists:
    return Exists(Ticket.objects.filter(
        customer=OuterRef("user"), created_at__gte=OuterRef("created_at"),
        created_at__lt=OuterRef("created_at") + DEFLECTION_WINDOW))


def _merge(counts: dict[date, dict[str, int]], rows: Iterable[Mapping[str, Any]]) -> None:
    for row in rows:
        counts.setdefault(row["day"], {}).update({name: value for name, value in row.items() if name != "day"})


def _daily(first: date, last: date) -> list[Day]:
    counts: dict[date, dict[str, int]] = {day: {} for day in days_between(first, last)}
    bot = Q(kind__in=[Kind.BOT_ANSWERED, Kind.BOT_UNSURE])
    rows = (
        _events(first, last).annotate(day=_local_day("created_at"), handed=_handed_over(), ticketed=_ticketed())
        .values("day")
        .annotate(
            bot_questions=Count("id", filter=bot),
            bot_answered=Count("id", filter=Q(kind=Kind.BOT_ANSWERED)),
            deflected=Count("id", filter=Q(kind=Kind.BOT_ANSWERED, handed=False, ticketed=False)),
            searches=Count("id", filter=Q(kind__in=[Kind.SEARCH, Kind.SEARCH_EMPTY])),
            empty_searches=Count("id", filter=Q(kind=Kind.SEARCH_EMPTY)),
            views=Count("id", filter=Q(kind=Kind.VIEW)),
        )
        .order_by()
    )
    _merge(counts, rows)
    start, _end = day_bounds(first)
    _start, end = day_bounds(last)
    votes = (
        ArticleFeedback.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=_local_day("created_at")).values("day")
        .annotate(helpful_yes=Count("id", filter=Q(helpful=True)), helpful_no=Count("id", filter=Q(helpful=False)))
        .order_by()
    )
    _merge(counts, votes)
    return [Day(day=day, **figures) for day, figures in sorted(counts.items()) if first <= day <= last]


def _count_of(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("article").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _articles(first: date, last: date) -> list[ArticleRow]:
    start, _end = day_bounds(first)
    _start, end = day_bounds(last)
    votes = ArticleFeedback.objects.filter(article=OuterRef("pk"), created_at__gte=start, created_at__lt=end)
    views = _events(first, last).filter(kind=Kind.VIEW, article=OuterRef("pk"))
    found = (
        Article.objects.annotate(views=_count_of(views), yes=_count_of(votes.filter(helpful=True)),
                                 no=_count_of(votes.filter(helpful=False)))
        .filter(Q(views__gt=0) | Q(yes__gt=0) | Q(no__gt=0))
        .order_by(F("views").desc(), F("yes").desc(), "pk")[:TOP_ARTICLES]
    )
    return [ArticleRow(article=article, views=article.views, helpful_yes=article.yes, helpful_no=article.no)
            for article in found]


def _empty_searches(first: date, last: date) -> list[EmptySearch]:
    rows = (
        _events(first, last).filter(kind=Kind.SEARCH_EMPTY).annotate(text=Lower("query")).values("text")
        .annotate(count=Count("id"), last_at=Max("created_at")).order_by("-count", "-last_at")[:TOP_EMPTY_SEARCHES]
    )
    return [EmptySearch(query=row["text"], count=row["count"], last_at=row["last_at"]) for row in rows]


def knowledge_figures(*, first: date, last: date) -> KnowledgeFigures:
    return KnowledgeFigures(days=_daily(first, last), articles=_articles(first, last),
                            empty_searches=_empty_searches(first, last))


def question_clusters(*, first: date, last: date) -> list[QuestionCluster]:
    """The new unanswered and low-confidence questions of the range, grouped by meaning: TF-IDF over jieba
    tokens, then average-linkage agglomerative clustering on cosine distance (no number of groups to guess).
    Groups of at least two, largest first."""
    start, _end = day_bounds(first)
    _start, end = day_bounds(last)
    questions = list(
        UnansweredQuestion.objects.filter(status=UnansweredQuestion.Status.NEW, created_at__gte=start,
                                          created_at__lt=end)
        .order_by("-created_at").values_list("pk", "text", "confidence")[:MAX_CLUSTERED]
    )
    tokenised = [segment(text) for _pk, text, _confidence in questions]
    kept = [index for index, words in enumerate(tokenised) if words]
    if len(kept) < 2:
        return []
    vectorizer = TfidfVectorizer(analyzer=lambda words: words, sublinear_tf=True)
    vectors = vectorizer.fit_transform([tokenised[index] for index in kept])
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=CLUSTER_DISTANCE, metric="cosine",
                                     linkage="average").fit_predict(vectors.toarray())
    vocabulary = np.array(vectorizer.get_feature_names_out())
    clusters = []
    for label in set(labels.tolist()):
        members = [kept[at] for at in np.flatnonzero(labels == label)]
        if len(members) < 2:
            continue
        weights = np.asarray(vectors[np.flatnonzero(labels == label)].sum(axis=0)).ravel()
        clusters.append(QuestionCluster(
            question_ids=[questions[at][0] for at in members],
            examples=list(dict.fromkeys(questions[at][1] for at in members))[:EXAMPLES_SHOWN],
            words=vocabulary[np.argsort(-weights)[:4]].tolist(),
            mean_confidence=float(np.mean([questions[at][2] for at in members])),
        ))
    clusters.sort(key=lambda cluster: (-cluster.size, cluster.question_ids[0]))
    return clusters[:TOP_CLUSTERS]
