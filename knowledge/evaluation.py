"""The bot's evaluation data and measures, shared by the tuning script, the bench and the suite's threshold test.

Everything here reads the committed data files (knowledge/data/), never the database: the figures are
about the ranking and the calibrated confidence that `knowledge.bot_index` runs over the published articles.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.demo_data import ARTICLES, SYNONYMS, DemoArticle
from knowledge.ranking import Document, Params, Ranker, char_ngrams

EVAL_DIR = Path(__file__).resolve().parent / "data" / "eval"
NONE = "none"
# The near-duplicate measure's cut-off for the test split: no test question is this close to a stored one.
NEAR_DUPLICATE = 0.7


@dataclass(frozen=True)
class Question:
    text: str
    slug: str  # the article that answers it, or NONE


def load_split(name: str) -> list[Question]:
    rows = yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return [Question(text=str(row["q"]), slug=str(row["slug"])) for row in rows]


def document_for(article: DemoArticle) -> Document:
    return Document(
        key=article.slug, title=f"{article.title_zh} {article.title_en}",
        questions=(*article.questions, *article.questions_en),
        body=f"{article.body_zh} {article.body_en} {' '.join(article.tags)}",
    )


def demo_documents() -> list[Document]:
    return [document_for(article) for article in ARTICLES if article.audience == "public"]


@lru_cache(maxsize=1)
def _stored_grams() -> tuple[frozenset[str], ...]:
    texts = (text for a in ARTICLES for text in (a.title_zh, a.title_en, *a.questions, *a.questions_en))
    return tuple(grams for grams in map(char_ngrams, texts) if grams)


def is_near_copy(text: str) -> bool:
    """Whether `text` is within NEAR_DUPLICATE of a stored question or title (character bigram Dice)."""
    grams = char_ngrams(text)
    return bool(grams) and any(2 * len(grams & other) / (len(grams) + len(other)) >= NEAR_DUPLICATE
                               for other in _stored_grams())


def demo_ranker(params: Params | None = None) -> Ranker:
    return Ranker(demo_documents(), SYNONYMS, params)


@dataclass(frozen=True)
class Outcome:
    question: Question
    ranked: list[str]  # article keys, best first
    confidence: float


def rate(outcomes: Sequence[Outcome], threshold: float) -> dict[str, float]:
    """Top-1/top-3 over answerable questions; confident accuracy, coverage and none-detection over all."""
    answerable = [o for o in outcomes if o.question.slug != NONE]
    unanswerable = [o for o in outcomes if o.question.slug == NONE]
    confident = [o for o in outcomes if o.confidence >= threshold]
    right = [o for o in confident if o.ranked[:1] == [o.question.slug]]

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "top1": share(sum(o.ranked[:1] == [o.question.slug] for o in answerable), len(answerable)),
        "top3": share(sum(o.question.slug in o.ranked[:3] for o in answerable), len(answerable)),
        "coverage": share(len(confident), len(outcomes)),
        "accuracy_when_confident": share(len(right), len(confident)),
        "confident_and_right": share(len(right), len(outcomes)),
        "confident_wrong": share(len(confident) - len(right), len(outcomes)),
        "none_detected": share(sum(o.confidence < threshold for o in unanswerable), len(unanswerable)),
    }


def reliability(outcomes: Sequence[Outcome], bins: int = 10) -> list[dict[str, object]]:
    """Reliability diagram as data: per confidence bin, the mean confidence and how often the top-1 was right."""
    table: list[dict[str, object]] = []
    for number in range(bins):
        low, high = number / bins, (number + 1) / bins
        inside = [o for o in outcomes if low <= o.confidence < high or (number == bins - 1 and o.confidence == 1)]
        if not inside:
            continue
        table.append({
            "bin": f"{low:.1f}-{high:.1f}", "count": len(inside),
            "mean_confidence": round(sum(o.confidence for o in inside) / len(inside), 3),
            "right": round(sum(o.ranked[:1] == [o.question.slug] for o in inside) / len(inside), 3),
        })
    return table


def run(questions: Sequence[Question], answer: Callable[[str], tuple[list[str], float]]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        ranked, confidence = answer(question.text)
        outcomes.append(Outcome(question=question, ranked=ranked, confidence=confidence))
    return outcomes
