"""The bot interface and the nightly FAQ drafts built from what it could not answer."""

import io

import pytest

from knowledge import drafts
from knowledge.bot import answer_question
from knowledge.models import Article, UnansweredQuestion
from knowledge.seed import seed_knowledge
from knowledge.tasks import draft_faqs_nightly, sweep_article_schedule
from tests.knowledge.factories import SEARCH_FIXTURE_ARTICLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_kb(make_user) -> None:
    make_user("admin", username="admin")
    seed_knowledge(io.StringIO(), articles=SEARCH_FIXTURE_ARTICLES)


def test_a_clear_question_gets_its_article_with_confidence(demo_kb, make_user) -> None:
    answer = answer_question("退货的运费是谁出", make_user("customer"))
    assert answer.article is not None and answer.article.slug == "return-shipping-fee"
    assert answer.confident and answer.confidence >= 0.5
    assert "<mark>" in answer.snippet
    assert not UnansweredQuestion.objects.exists()


def test_an_unknown_question_is_logged_with_low_confidence(demo_kb, make_user) -> None:
    customer = make_user("customer")
    answer = answer_question("你们支持火星配送吗", customer)
    assert not answer.confident
    logged = UnansweredQuestion.objects.get()
    assert (logged.text, logged.customer, logged.status) == ("你们支持火星配送吗", customer, "new")


def test_internal_articles_are_never_the_bots_answer(demo_kb) -> None:
    answer = answer_question("客诉补偿标准 补偿券发多少")
    assert answer.article is None or answer.article.audience == Article.Audience.PUBLIC


@pytest.mark.parametrize("text", ["", "   ", "?!", "x" * 5000])
def test_empty_or_odd_questions_are_safe(demo_kb, text: str) -> None:
    answer = answer_question(text)
    assert answer.confidence <= 1
    assert UnansweredQuestion.objects.filter(text__gt="").count() <= 1


def test_similar_unanswered_questions_become_one_draft_faq() -> None:
    for text in ["能寄到南极科考站吗", "南极科考站可以寄快递吗", "寄东西到南极科考站行不行", "优惠券能转赠给朋友吗",
                 "优惠券可以转赠吗", "怎么把优惠券转赠别人", "你们老板是谁"]:
        UnansweredQuestion.objects.create(text=text)
    created = drafts.draft_faqs_from_questions()
    assert len(created) == 2
    assert {a.status for a in created} == {Article.Status.DRAFT}
    examples = sorted(a.question_zh for a in created)
    assert "南极科考站" in examples[1] or "南极科考站" in examples[0]
    assert all(len(a.question_zh.splitlines()) == 3 for a in created)
    assert UnansweredQuestion.objects.filter(status="drafted").count() == 6
    assert UnansweredQuestion.objects.get(text="你们老板是谁").status == "new"
    # The nightly task finds nothing new to draft the second time.
    assert draft_faqs_nightly() == 0


def test_tfidf_clustering_groups_paraphrases() -> None:
    from core.segmentation import segment

    texts = ["退款多久到账", "退款几天到账", "发票怎么开", "怎么开发票"]
    groups = drafts.cluster(drafts.tfidf([segment(t) for t in texts]))
    assert sorted(groups) == [[0, 1], [2, 3]]


def test_the_sweep_task_runs_the_service() -> None:
    assert sweep_article_schedule() == {"published": 0, "expired": 0}


def test_ticket_subjects_feed_the_drafts_through_the_event_bus(django_capture_on_commit_callbacks) -> None:
    from core import events

    with django_capture_on_commit_callbacks(execute=True):
        for subject in ["发票抬头能改成英文吗", "英文发票抬头怎么开", "能开英文抬头的发票吗"]:
            events.publish("ticket.created", ticket_id=1, subject=subject)
        events.publish("ticket.created", ticket_id=2)  # no subject: nothing to learn
    assert UnansweredQuestion.objects.filter(source="ticket").count() == 3
    (draft,) = drafts.draft_faqs_from_questions()
    assert "英文" in draft.title_zh


def test_a_large_base_keeps_answering_from_the_old_index_while_one_rebuild_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from knowledge import bot_index

    before = bot_index.current()
    started: list[object] = []

    class RecordedThread:
        def __init__(self, target: object, **_kwargs: object) -> None:
            started.append(target)

        def start(self) -> None:
            """Not run: the test only checks the rebuild is started once and does not block."""

    monkeypatch.setattr(bot_index, "SYNC_REBUILD_ARTICLES", -1)
    monkeypatch.setattr(bot_index.threading, "Thread", RecordedThread)
    monkeypatch.setattr(bot_index, "_rebuilding", False)
    bot_index.invalidate()
    monkeypatch.setattr(bot_index, "_version", lambda: "changed")
    assert bot_index.current() is before
    assert bot_index.current() is before
    assert len(started) == 1
