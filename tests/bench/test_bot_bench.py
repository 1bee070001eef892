"""The bot's figures (issue 22): accuracy, coverage, confident accuracy and none-detection on the dev and test
splits beside a plain BM25 baseline computed in the same run, the dev figures cross-validated, a reliability
diagram, intent precision and recall, and the bot's latency at 100k articles and with the article classifier.

Everything runs in memory over the committed data files (knowledge/data/), exactly the ranking, intent model
and calibration the chat bot runs; the database is not involved. `BOT_BENCH_ARTICLES` (default 100000) sets
how many generated articles the latency is measured over.
"""

import json
import os
import random
import time
from typing import Any

import pytest
from rank_bm25 import BM25Okapi

from core.segmentation import segment
from knowledge import bot_model, evaluation, intents
from knowledge.demo_data import ARTICLES, SYNONYMS
from knowledge.ranking import CLASSIFIER_MAX_ARTICLES, Document, Ranker
from tests.bench.timing import percentiles

pytestmark = pytest.mark.bench

GENERATED = int(os.environ.get("BOT_BENCH_ARTICLES", "100000"))
CLASSIFIED = CLASSIFIER_MAX_ARTICLES - len(evaluation.demo_documents())
PRODUCTS = ("手机", "耳机", "冰箱", "洗衣机", "笔记本电脑", "运动鞋", "羽绒服", "面膜", "奶粉", "猫粮", "茶叶", "电视",
            "空调", "行李箱", "口红", "自行车", "婴儿车", "显示器", "键盘", "咖啡机", "扫地机器人", "电动牙刷", "床垫",
            "沙发", "钢琴", "帐篷", "鱼竿", "滑雪板", "投影仪", "路由器")
STORES = ("旗舰店", "专营店", "自营", "海外店", "工厂店", "折扣店", "品牌店", "官方店")


def _baseline(questions: list[evaluation.Question]) -> dict[str, float]:
    """rank_bm25 over the shared jieba tokens of each article's title, stored questions and body, untuned."""
    documents = evaluation.demo_documents()
    bm25 = BM25Okapi([segment(f"{d.title} {' '.join(d.questions)} {d.body}") or ["_"] for d in documents])
    top1 = top3 = 0
    answerable = [question for question in questions if question.slug != evaluation.NONE]
    for question in answerable:
        scores = bm25.get_scores(segment(question.text))
        best = sorted(range(len(documents)), key=lambda index: -scores[index])[:3]
        keys = [documents[index].key for index in best]
        top1 += keys[:1] == [question.slug]
        top3 += question.slug in keys
    return {"top1": round(top1 / len(answerable), 4), "top3": round(top3 / len(answerable), 4)}


def test_bot_accuracy_beside_plain_bm25(report: Any) -> None:
    model = bot_model.load()
    ranker = evaluation.demo_ranker(model.params)
    # Dev figures not read off the questions the weights were tuned on, computed by `python -m knowledge.tuning`
    # with the committed model (six fits: minutes of CPU, too slow to repeat on every bench).
    cross_validated = json.loads(bot_model.MODEL_FILE.read_text(encoding="utf-8"))["dev_cross_validated"]
    report("bot_accuracy", split="dev_cross_validated", **cross_validated)
    for split in ("dev", "test"):
        questions = evaluation.load_split(split)
        outcomes = evaluation.run(questions, model.answerer(ranker))
        figures = evaluation.rate(outcomes, model.threshold)
        baseline = _baseline(questions)
        report("bot_accuracy", split=split, articles=len(ranker.documents), threshold=round(model.threshold, 4),
               **figures, baseline_bm25_top1=baseline["top1"], baseline_bm25_top3=baseline["top3"],
               top1_over_baseline=round(figures["top1"] - baseline["top1"], 4))
        if split == "test":
            report("bot_reliability_diagram", split=split, bins=evaluation.reliability(outcomes))


def test_intent_precision_and_recall(report: Any) -> None:
    examples = intents.load_examples()
    held_out = [(text, label) for text, label in examples if intents.is_held_out(text)]
    trained = intents.train([*((t, label) for t, label in examples if not intents.is_held_out(t)),
                             *intents.stored_questions()])
    pairs = [(label, intents.classify(text, trained).name) for text, label in held_out]
    accuracy = sum(expected == got for expected, got in pairs) / len(pairs)
    report("bot_intents_held_out", examples=len(examples), held_out=len(held_out), accuracy=round(accuracy, 4),
           per_intent=intents.precision_recall(pairs))
    # Every evaluation question asks the knowledge base something (or nothing it holds): it must reach the
    # knowledge base, not the records, a hand-off or small talk.
    test = evaluation.load_split("test")
    routed = sum(intents.classify(q.text).name in (intents.POLICY, intents.OTHER) for q in test)
    report("bot_intents_eval_routing", split="test", questions=len(test),
           routed_to_knowledge_base=round(routed / len(test), 4))


def _generated(count: int) -> list[Document]:
    """Articles stitched from the demo ones with products, stores and numbers: realistic words and overlap."""
    rng = random.Random(22)
    documents = []
    for number in range(count):
        first, second = rng.sample(ARTICLES, 2)
        product, store = rng.choice(PRODUCTS), rng.choice(STORES)
        documents.append(Document(
            key=f"generated-{number}", title=f"{product}{store} {first.title_zh} {number}",
            questions=(f"{product}{rng.choice(first.questions)}", rng.choice(second.questions_en)),
            body=f"{product} {store} {first.body_zh[:80]} {second.body_en[:60]}",
        ))
    return documents


@pytest.mark.parametrize("generated", [GENERATED, CLASSIFIED], ids=["at_scale", "with_classifier"])
def test_bot_latency_at_scale(report: Any, generated: int) -> None:
    """At 100k articles the ranking runs without the article classifier (knowledge.ranking.
    CLASSIFIER_MAX_ARTICLES); the largest base that has one is measured too."""
    model = bot_model.load()
    intents.model()  # trained once per process, before the clock starts
    documents = [*evaluation.demo_documents(), *_generated(generated)]
    started = time.perf_counter()
    ranker = Ranker(documents, SYNONYMS, model.params)
    build_s = time.perf_counter() - started
    questions = [question.text for question in evaluation.load_split("test")]
    samples, cpu = [], []
    for text in questions[:20]:
        ranker.rank(text)  # warm
    for text in questions:
        started, started_cpu = time.perf_counter(), time.thread_time()
        if intents.classify(text).name in (intents.POLICY, intents.OTHER):
            model.confidence(ranker.rank(text).features)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    # The CPU time this thread spent per question: on a shared, loaded machine the wall clock also counts the
    # time spent waiting for a core, the CPU figure does not.
    report("bot_latency", articles=len(documents), classifier=ranker.classifier is not None,
           build_s=round(build_s, 1), queries=len(samples), load_avg_1m=os.getloadavg()[0], goal_p95_ms=20,
           **percentiles(samples),
           **{f"cpu_{name}": value for name, value in percentiles(cpu).items()})
