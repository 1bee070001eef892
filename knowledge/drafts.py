"""Nightly FAQ drafts: group the questions the bot could not answer into draft articles for editors.

TF-IDF over jieba tokens and a single greedy pass of cosine clustering, in plain Python (the nightly job
predates scikit-learn in the project; the knowledge analytics in /reports/knowledge/ group the same questions
with scikit-learn and draft one FAQ per chosen group through `draft_faq`).
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.segmentation import segment
from knowledge import services
from knowledge.models import Article, Category, UnansweredQuestion
from profiles.models import User

SIMILARITY = 0.35
MIN_CLUSTER = 3
MAX_QUESTIONS = 5000
EXAMPLES_KEPT = 10
DRAFTS_CATEGORY = "auto-drafts"

Vector = dict[str, float]


@dataclass
class Cluster:
    centroid: Vector
    members: list[int]


def tfidf(documents: Sequence[Sequence[str]]) -> list[Vector]:
    """L2-normalised TF-IDF vectors of tokenised documents."""
    frequency = Counter(token for tokens in documents for token in set(tokens))
    total = len(documents)
    vectors = []
    for tokens in documents:
        counts = Counter(tokens)
        vector = {
            token: count * (math.log((1 + total) / (1 + frequency[token])) + 1) for token, count in counts.items()
        }
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        vectors.append({token: value / norm for token, value in vector.items()})
    return vectors


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(token, 0.0) for token, value in a.items())


def cluster(vectors: Sequence[Vector], *, threshold: float = SIMILARITY) -> list[list[int]]:
    """Indexes of `vectors` grouped: each joins the most similar cluster above `threshold`, or starts one."""
    clusters: list[Cluster] = []
    for index, vector in enumerate(vectors):
        if not vector:
            continue
        best = max(clusters, key=lambda c: _cosine(vector, c.centroid), default=None)
        if best is not None and _cosine(vector, best.centroid) >= threshold:
            best.members.append(index)
            size = len(best.members)
            merged = {t: best.centroid.get(t, 0.0) * (size - 1) / size for t in best.centroid.keys() | vector.keys()}
            for token, value in vector.items():
                merged[token] += value / size
            norm = math.sqrt(sum(value * value for value in merged.values())) or 1.0
            best.centroid = {token: value / norm for token, value in merged.items()}
        else:
            clusters.append(Cluster(centroid=dict(vector), members=[index]))
    return [c.members for c in clusters]


def _drafts_category() -> Category:
    category, _created = Category.objects.get_or_create(
        slug=DRAFTS_CATEGORY,
        defaults={"name_zh": "待整理的常见问题", "name_en": "FAQ drafts to review", "position": 999},
    )
    return category


def _draft(group: Sequence[UnansweredQuestion], slug: str, author: User | None) -> Article:
    """One draft FAQ holding the group's questions as its stored questions; the questions are marked drafted."""
    examples = list(dict.fromkeys(question.text for question in group))[:EXAMPLES_KEPT]
    article = services.article_create(
        category=_drafts_category(), slug=slug, author=author,
        kind=Article.Kind.FAQ, title_zh=examples[0][:200], question_zh="\n".join(examples),
        body_zh=_("Drafted from %(count)d customer questions the bot could not answer. Write the answer here.")
        % {"count": len(group)},
    )
    for question in group:
        # save() per question, not update(): the status change belongs in its history.
        question.status, question.draft = UnansweredQuestion.Status.DRAFTED, article
        question.save(update_fields=["status", "draft"])
    return article


@transaction.atomic
def draft_faqs_from_questions(*, min_cluster: int = MIN_CLUSTER) -> list[Article]:
    """Draft one FAQ per group of at least `min_cluster` similar new questions; mark them drafted."""
    questions = list(
        UnansweredQuestion.objects.select_for_update(skip_locked=True)
        .filter(status=UnansweredQuestion.Status.NEW)
        .order_by("-created_at")[:MAX_QUESTIONS]
    )
    vectors = tfidf([segment(question.text) for question in questions])
    drafts = []
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    for number, members in enumerate(cluster(vectors), start=1):
        if len(members) < min_cluster:
            continue
        drafts.append(_draft([questions[index] for index in members], f"faq-draft-{stamp}-{number}", None))
    return drafts


@transaction.atomic
def draft_faq(*, question_ids: Sequence[int], author: User) -> Article | None:
    """Draft one FAQ from the chosen unanswered questions (a cluster picked in the knowledge analytics); None
    when none of them is still new (drafted or dismissed meanwhile)."""
    questions = list(
        UnansweredQuestion.objects.select_for_update()
        .filter(pk__in=list(question_ids)[:MAX_QUESTIONS], status=UnansweredQuestion.Status.NEW)
        .order_by("-created_at")
    )
    if not questions:
        return None
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    return _draft(questions, f"faq-draft-{stamp}-{questions[0].pk}", author)
