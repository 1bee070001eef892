# The patterns hold full-width punctuation on purpose and read best one alternation per line.
# ruff: noqa: RUF001, E501
"""What a customer's chat message wants, decided before anything is searched: rules for the clear cases, then a
small model (TF-IDF over jieba words and character n-grams, logistic regression) trained at first use from
the committed examples in knowledge/data/intents.yaml plus the articles' stored questions. Nothing is
downloaded; training takes about a second and happens once per process.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from knowledge.demo_data import ARTICLES
from knowledge.ranking import tokens

MY_RECORDS = "my_records"
POLICY = "policy"
WANTS_HUMAN = "wants_human"
COMPLAINT = "complaint"
CHITCHAT = "chitchat"
OTHER = "other"
INTENTS = (MY_RECORDS, POLICY, WANTS_HUMAN, COMPLAINT, CHITCHAT, OTHER)
EXAMPLES = Path(__file__).resolve().parent / "data" / "intents.yaml"
# Below this the model is unsure, and the knowledge base (with its own calibrated confidence) gets the question.
MIN_MODEL_PROBABILITY = 0.3
# One example in this many (by a hash of its text) is held out, so the bench can report precision and recall.
HOLDOUT_EVERY = 5

# Asking for a person, in so many words. "人工客服几点上班" asks about people, it does not ask for one,
# hence the question words that veto the rule.
_ASKS_FOR_HUMAN = re.compile(
    r"转人工|转接人工|转接客服|接人工|找人工|要人工|人工服务|给我转|换真人|要真人|真人客服在|找个真人|和真人|跟真人|"
    r"talk to (a |an |some)?(human|person|agent|one)|speak to (a |an )?(human|person|agent|manager|staff)|"
    r"real person|human (please|agent)|agent please|transfer me|^(人工|human|agent|operator)[!！。.]*$"
)
_ASKS_ABOUT = re.compile(r"几点|什么时候|时间|多久|怎么|如何|怎样|在哪|哪里|入口|电话|\bwhen\b|\bhow\b|\bwhat time\b|hours")
_COMPLAINT_WORD = re.compile(r"投诉|举报|申诉|complain|report (this|the)")
_HOW_TO = re.compile(r"怎么|如何|怎样|流程|在哪|哪里|多久|有用吗|有没有用|结果|进度|能撤|撤销|\bhow\b|\bwhere\b|process|"
                     r"how long")
_FILES_COMPLAINT = re.compile(r"(我要|我想|帮我|给我|现在就要|要)(正式)?(投诉|举报|申诉|complain)|投诉[!！]|"
                              r"file a complaint|lodge|want to complain|make a complaint")
# The customer's own case: a possessive or "check for me" next to what the records hold, or a pasted number.
_OWN_CASE = re.compile(r"我的|我那|我买的|我下的|我订的|我申请的|我退的|我寄的|我刚|我昨天|我前天|我上周|帮我查|帮我看|查一下我|"
                       r"查下我|看看我|看下我|\bmy (order|package|parcel|refund|return|delivery|repair|exchange)")
_RECORD_SUBJECT = re.compile(r"订单|快递|包裹|物流|货|单号|送到|清关|积分|优惠券|会员|退款|退货|售后|换货|维修|发票|order|package|parcel|refund|return|"
                             r"delivery|repair|exchange")
_ORDER_NUMBER = re.compile(r"\b(T|AS)\d{11,}\b|\b\d{10,20}\b", re.IGNORECASE)
_STATUS = re.compile(r"到哪|哪一步|进度|状态|怎么样了|什么时候|何时|了吗|了没|没有到|发了没|到了没|在哪|多久能到|能到吗|还没|"
                     r"查一下|查下|查查|看看|看下|帮我查|帮我看|催|没有啊|了没有|多少|哪个|哪家|where is|where's|status|yet|track|when will|progress|"
                     r"arrived|has my|did you")
_PROBLEM = re.compile(r"怎么办|怎么弄|能不能|可以吗|能吗|可以.{0,12}吗|谁|为什么|为啥|咋回事|怎么回事|正常吗|\bwhy\b|can i|"
                      r"can you|what can|\bwho\b|should i|\bwill i\b")
# Asking how far a thing has got ("到哪了", "发货了吗") is about one's own case even without "我的"; "一般几天发货"
# asks about the rule.
_PROGRESS_ASPECT = re.compile(r"到哪了|到哪儿了|哪一步了|发货了吗|发了吗|发货了没|发了没|到了吗|到了没|签收了吗|怎么样了|还没到|还没发|"
                              r"了没有|处理到|审核了吗|通过了吗|到账了吗|到账了没")
_IN_GENERAL = re.compile(r"一般|通常|多久|几天|规则|政策|流程|usually|normally")
_NO_LETTERS = re.compile(r"^[\W_\d]*$")


@dataclass(frozen=True)
class Intent:
    name: str
    probability: float
    by_rule: bool = False


def load_examples(path: Path = EXAMPLES) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(str(text), label) for label, texts in data.items() for text in texts]


def is_held_out(text: str) -> bool:
    return int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(), 16) % HOLDOUT_EVERY == 0


def stored_questions() -> list[tuple[str, str]]:
    return [(question, POLICY) for article in ARTICLES for question in (*article.questions, *article.questions_en)]


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


def train(examples: Iterable[tuple[str, str]]) -> Pipeline:
    texts, labels = zip(*examples, strict=True)
    features = FeatureUnion([
        ("words", TfidfVectorizer(analyzer=tokens, sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2)),
    ])
    model = Pipeline([
        ("features", features),
        # Logistic loss by SGD: the same model as LogisticRegression, trained in well under a second where
        # lbfgs needs ~15 s on this many sparse features.
        ("classify", SGDClassifier(loss="log_loss", alpha=1e-4, class_weight="balanced", max_iter=50, tol=None,
                                   random_state=0)),
    ])
    model.fit([_normal(text) for text in texts], list(labels))
    return model


@lru_cache(maxsize=1)
def model() -> Pipeline:
    return train([*load_examples(), *stored_questions()])


def _is_own_status(text: str) -> bool:
    """"我的快递到哪了", "退款到哪一步了": the customer's own case (said, or implied by asking where a thing has got
    to), a record subject, a status question, and neither "what should I do" nor "usually"."""
    own = _OWN_CASE.search(text) or _PROGRESS_ASPECT.search(text)
    return bool(own and _RECORD_SUBJECT.search(text) and _STATUS.search(text) and not _PROBLEM.search(text)
                and not _IN_GENERAL.search(text))


def by_rules(text: str) -> str | None:
    """The intent the wording makes certain, or None."""
    if _NO_LETTERS.match(text) and not _ORDER_NUMBER.search(text):
        return CHITCHAT  # empty, emoji, punctuation: there is nothing to look up
    if _ASKS_FOR_HUMAN.search(text) and not _ASKS_ABOUT.search(text):
        return WANTS_HUMAN
    if _COMPLAINT_WORD.search(text):
        if _HOW_TO.search(text) and not _FILES_COMPLAINT.search(text):
            return POLICY  # "怎么投诉商家" asks how; the knowledge base answers it
        if _FILES_COMPLAINT.search(text):
            return COMPLAINT
    if _ORDER_NUMBER.search(text):
        return MY_RECORDS
    if _is_own_status(text):
        return MY_RECORDS
    return None


def _probabilities(pipeline: Pipeline, text: str) -> np.ndarray:
    """pipeline.predict_proba([text])[0] without FeatureUnion's parallel-dispatch machinery, which costs about
    as much as the two vectorizers themselves for a single text (a quarter of a bot answer's CPU time at 100k
    articles); the result is the same."""
    features = pipeline.named_steps["features"]
    rows = sparse.hstack([transformer.transform([text]) for _name, transformer in features.transformer_list])
    return pipeline.named_steps["classify"].predict_proba(rows.tocsr())[0]


def classify(text: str, trained: Pipeline | None = None) -> Intent:
    normal = _normal(text)
    ruled = by_rules(normal)
    if ruled is not None:
        return Intent(ruled, 1.0, by_rule=True)
    pipeline = trained or model()
    probabilities = _probabilities(pipeline, normal)
    best = int(probabilities.argmax())
    name, probability = str(pipeline.classes_[best]), float(probabilities[best])
    if probability < MIN_MODEL_PROBABILITY:
        return Intent(POLICY, probability)
    # The records are only quoted when the customer clearly speaks of their own case and asks where it stands;
    # "发货一般要几天" or "我的包裹丢了谁赔" are questions for the knowledge base.
    if name == MY_RECORDS and not (_OWN_CASE.search(normal) and not _PROBLEM.search(normal)):
        return Intent(POLICY, probability)
    # "人工客服几点上班" asks about the agents; the knowledge base answers it.
    if name == WANTS_HUMAN and _ASKS_ABOUT.search(normal):
        return Intent(POLICY, probability)
    return Intent(name, probability)


def precision_recall(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Per intent, from (expected, predicted) pairs."""
    table = {}
    for name in INTENTS:
        predicted = sum(1 for _expected, got in pairs if got == name)
        actual = sum(1 for expected, _got in pairs if expected == name)
        right = sum(1 for expected, got in pairs if expected == got == name)
        table[name] = {
            "precision": round(right / predicted, 3) if predicted else 0.0,
            "recall": round(right / actual, 3) if actual else 0.0,
            "support": actual,
        }
    return table
