"""The bot's intent first: the customer's own records only for their own case, complaints filed versus asked
about, a person when asked for in any wording, small talk and odd input."""

import numpy as np
import pytest

from knowledge import intents


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我的快递到哪了", intents.MY_RECORDS),
        ("订单发货了吗", intents.MY_RECORDS),
        ("退款到哪一步了", intents.MY_RECORDS),
        ("where is my order", intents.MY_RECORDS),
        ("T2026112200001", intents.MY_RECORDS),
        # 发货 / 货 in a general question is about the rule, never the customer's records.
        ("发货一般要几天", intents.POLICY),
        ("货到付款怎么选", intents.POLICY),
        ("退货运费谁承担", intents.POLICY),
        ("我的包裹丢了谁赔", intents.POLICY),
        # 投诉 alone does not hand off: asking how is answered by the knowledge base.
        ("怎么投诉商家", intents.POLICY),
        ("投诉一般多久有结果", intents.POLICY),
        ("我要投诉这个商家", intents.COMPLAINT),
        ("i want to file a complaint", intents.COMPLAINT),
        ("给我转真人", intents.WANTS_HUMAN),
        ("转人工", intents.WANTS_HUMAN),
        ("talk to a human", intents.WANTS_HUMAN),
        ("人工客服几点上班", intents.POLICY),
        ("你好", intents.CHITCHAT),
        ("谢谢", intents.CHITCHAT),
        ("", intents.CHITCHAT),
        ("😊😊", intents.CHITCHAT),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert intents.classify(text).name == intent


@pytest.mark.parametrize("text", ["x" * 2000, "退款refund到哪了??", "a\x00b\u202ec", "🙂退款🙂"])
def test_odd_input_gets_an_intent(text: str) -> None:
    assert intents.classify(text).name in intents.INTENTS


def test_the_examples_cover_every_intent_and_are_held_out_by_hash() -> None:
    examples = intents.load_examples()
    assert len(examples) >= 500
    assert {label for _text, label in examples} == set(intents.INTENTS)
    held_out = [text for text, _label in examples if intents.is_held_out(text)]
    assert 0.1 < len(held_out) / len(examples) < 0.3
    assert held_out == [text for text, _label in intents.load_examples() if intents.is_held_out(text)]


def test_precision_and_recall_per_intent() -> None:
    table = intents.precision_recall([("policy", "policy"), ("policy", "other"), ("other", "other")])
    assert table["policy"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert table["other"] == {"precision": 0.5, "recall": 1.0, "support": 1}


def test_the_fast_path_gives_the_pipelines_probabilities() -> None:
    pipeline = intents.model()
    for text in ("我的快递到哪了", "怎么开发票", "给我转真人", "你好", "how do I return a phone", "12345"):
        normal = intents._normal(text)
        assert np.allclose(intents._probabilities(pipeline, normal), pipeline.predict_proba([normal])[0])
