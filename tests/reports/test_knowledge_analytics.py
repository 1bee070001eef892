"""Knowledge analytics (/reports/knowledge/): the events the bot, the search and the article page record, the
deflection rate, the clustered unanswered questions with their "draft an FAQ" button, article views and
helpfulness, searches with no result, the CSV export; who may open it; a constant query count."""

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from chat.models import Conversation
from knowledge import bot, services
from knowledge.models import Article, ArticleFeedback, KnowledgeEvent, UnansweredQuestion
from reports import knowledge_selectors
from reports.rollups import local_today
from tests.conftest import ALL_ROLES
from tests.factories import CustomerProfileFactory
from tests.knowledge.factories import ArticleFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text
from tests.reports.factories import make_ticket

PAGE = "/reports/knowledge/"
CSV = "/reports/knowledge/export.csv"
DRAFT = "/reports/knowledge/draft/"
READERS: dict[str, Outcome] = {
    "anonymous": "login", "customer": "forbidden", "agent": "forbidden", "supervisor": "ok", "qa": "ok",
    "merchant_staff": "forbidden", "admin": "ok",
}
Kind = KnowledgeEvent.Kind
HAN = re.compile(r"[\u4e00-\u9fff]")


def _customer() -> Any:
    return CustomerProfileFactory.create().user


def _answered(customer: Any, hours_ago: float) -> KnowledgeEvent:
    event = services.event_record(kind=Kind.BOT_ANSWERED, user=customer, query="怎么退货", confidence=0.99)
    KnowledgeEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    return event


def _unanswered(*texts: str) -> list[UnansweredQuestion]:
    return [UnansweredQuestion.objects.create(text=text, confidence=0.2) for text in texts]


@pytest.mark.parametrize("path", [PAGE, CSV])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_supervisors_qa_and_admins_open_it(client_for: Any, role: str, path: str) -> None:
    assert_outcome(client_for(role).get(path), READERS[role], path)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_editors_draft_an_faq(client_for: Any, role: str) -> None:
    question = _unanswered("跨境商品能开增值税发票吗")[0]
    response = client_for(role).post(DRAFT, {"questions": str(question.pk)})
    expected = {"anonymous": 302, "supervisor": 302, "admin": 302}.get(role, 403)
    assert response.status_code == expected
    drafted = Article.objects.filter(category__slug="auto-drafts").exists()
    assert drafted == (role in ("supervisor", "admin"))


def test_the_bot_the_search_and_the_article_page_record_events(client: Any, db: None) -> None:
    article = ArticleFactory.create(title_zh="退货运费谁出", question_zh="退货运费谁承担",
                                    body_zh="七天无理由退货的运费由买家承担。")
    customer = _customer()
    bot.answer_question("退货运费谁承担", customer)
    bot.answer_question("量子纠缠怎么用", customer)
    assert client.get("/help/search/?q=退货运费").status_code == 200
    assert client.get("/help/search/?q=xyzzyplugh").status_code == 200
    assert client.get(f"/help/articles/{article.slug}/").status_code == 200
    kinds = sorted(KnowledgeEvent.objects.values_list("kind", flat=True))
    assert sorted(kinds) == sorted([Kind.BOT_ANSWERED if bot.answer_question("退货运费谁承担", log=False).confident
                                    else Kind.BOT_UNSURE, Kind.BOT_UNSURE, Kind.SEARCH, Kind.SEARCH_EMPTY, Kind.VIEW])
    assert KnowledgeEvent.objects.get(kind=Kind.VIEW).article == article
    assert KnowledgeEvent.objects.get(kind=Kind.SEARCH_EMPTY).query == "xyzzyplugh"
    assert KnowledgeEvent.objects.filter(kind__in=[Kind.BOT_ANSWERED, Kind.BOT_UNSURE], user=customer).count() == 2
    # The agent's suggestions beside a chat are not customer questions: nothing recorded.
    bot.answer_question("退货运费", log=False)
    assert KnowledgeEvent.objects.count() == 5


def test_deflection_counts_answers_without_a_person_or_ticket_within_a_day(db: None) -> None:
    settled, ticketed, handed, late_ticket = (_customer() for _ in range(4))
    for customer in (settled, ticketed, handed, late_ticket):
        _answered(customer, hours_ago=30)
    now = timezone.now()
    make_ticket(customer=ticketed, team=None, assignee=None, channel="web", created=now - timedelta(hours=29))
    Conversation.objects.create(customer=handed, status="waiting", waiting_since=now - timedelta(hours=20))
    make_ticket(customer=late_ticket, team=None, assignee=None, channel="web", created=now - timedelta(hours=2))
    services.event_record(kind=Kind.BOT_UNSURE, user=settled, query="量子纠缠")
    today = local_today()
    figures = knowledge_selectors.knowledge_figures(first=today - timedelta(days=3), last=today)
    assert figures.totals.bot_questions == 5
    assert figures.totals.bot_answered == 4
    assert figures.totals.deflected == 2  # settled and late_ticket
    assert figures.totals.deflection_rate == pytest.approx(2 / 5)
    assert len(figures.days) == 4


def test_unanswered_questions_are_clustered_and_a_cluster_drafts_an_faq(client_for: Any) -> None:
    invoices = _unanswered("海外购的商品可以开发票吗", "海外购商品能不能开发票", "海外购开发票怎么弄")
    _unanswered("积分什么时候过期", "积分过期了还能恢复吗", "今天天气")
    today = local_today()
    clusters = knowledge_selectors.question_clusters(first=today, last=today)
    groups = [sorted(cluster.question_ids) for cluster in clusters]
    assert sorted(question.pk for question in invoices) in groups
    assert all(cluster.size >= 2 for cluster in clusters)
    assert "发票" in clusters[0].words

    client = client_for("supervisor")
    text = page_text(client.get(PAGE))
    assert 'data-action="draft-faq"' in text and "海外购的商品可以开发票吗" in text
    response = client.post(DRAFT, {"questions": ",".join(str(question.pk) for question in invoices)})
    draft = Article.objects.get(category__slug="auto-drafts")
    assert response.status_code == 302 and response["Location"] == f"/help/editor/{draft.slug}/"
    assert draft.status == Article.Status.DRAFT and draft.question_zh.count("\n") == 2
    assert set(UnansweredQuestion.objects.filter(draft=draft).values_list("status", flat=True)) == {"drafted"}
    # A second click on the same group drafts nothing more.
    client.post(DRAFT, {"questions": ",".join(str(question.pk) for question in invoices)})
    assert Article.objects.filter(category__slug="auto-drafts").count() == 1


@pytest.mark.parametrize("value", ["", "abc", "1,,x", "9" * 30])
def test_a_bad_draft_request_is_a_message_not_an_error(client_for: Any, value: str) -> None:
    response = client_for("supervisor").post(DRAFT, {"questions": value}, follow=True)
    assert response.status_code == 200
    assert not Article.objects.filter(category__slug="auto-drafts").exists()


def test_qa_sees_the_clusters_without_the_draft_button(client_for: Any) -> None:
    _unanswered("海外购的商品可以开发票吗", "海外购商品能不能开发票")
    text = page_text(client_for("qa").get(PAGE))
    assert "海外购的商品可以开发票吗" in text and 'data-action="draft-faq"' not in text


def test_articles_views_helpfulness_and_empty_searches(client_for: Any) -> None:
    read, rated = ArticleFactory.create(title_zh="发票怎么开"), ArticleFactory.create(title_zh="运费说明")
    for _ in range(3):
        services.article_record_view(article=read)
    ArticleFeedback.objects.create(article=rated, helpful=True)
    ArticleFeedback.objects.create(article=rated, helpful=False)
    for query in ("Xyzzy", "xyzzy", "火星快递"):
        services.search_record(query=query, results=0)
    services.search_record(query="发票", results=2)
    today = local_today()
    figures = knowledge_selectors.knowledge_figures(first=today, last=today)
    rows = {row.article.pk: row for row in figures.articles}
    assert (rows[read.pk].views, rows[read.pk].helpful_share) == (3, None)
    assert (rows[rated.pk].views, rows[rated.pk].helpful_share) == (0, 0.5)
    assert [(row.query, row.count) for row in figures.empty_searches] == [("xyzzy", 2), ("火星快递", 1)]
    assert (figures.totals.searches, figures.totals.empty_searches) == (4, 3)
    text = page_text(client_for("supervisor").get(PAGE))
    assert "火星快递" in text and "50.0 %" in text and 'data-chart="knowledge-bot-chart"' in text


def test_csv_export_has_a_row_per_day(client_for: Any, db: None) -> None:
    customer = _customer()
    _answered(customer, hours_ago=0)
    today = local_today()
    first = today - timedelta(days=2)
    response = client_for("supervisor").get(f"{CSV}?date_from={first.isoformat()}&date_to={today.isoformat()}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "日期" and len(rows) == 4
    assert rows[-1][:4] == [today.isoformat(), "1", "1", "1"]


@pytest.mark.parametrize("query", ["date_from=2026-13-01&date_to=x", "date_from=2030-01-01&date_to=2030-01-02"])
def test_bad_ranges_are_form_errors(client_for: Any, query: str) -> None:
    client = client_for("supervisor")
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 200 and 'class="errorlist' in page_text(page)
    assert client.get(f"{CSV}?{query}").status_code == 400


def test_english_page_shows_no_chinese_outside_user_data(client_for: Any) -> None:
    client = client_for("supervisor")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = page_text(client.get(PAGE))
    assert "Knowledge analytics" in text and "Deflection rate" in text
    main = text[text.index("<main"):text.index("</main>")]
    assert not HAN.search(main), HAN.findall(main)[:10]


def test_constant_query_count(client_for: Any, django_assert_max_num_queries: Any) -> None:
    client = client_for("supervisor")

    def grow() -> None:
        customer = _customer()
        article = ArticleFactory.create()
        _answered(customer, hours_ago=1)
        services.article_record_view(article=article, reader=customer)
        ArticleFeedback.objects.create(article=article, helpful=True)
        services.search_record(query=f"火星{article.pk}", results=0)
        _unanswered(f"海外购发票{article.pk}", f"海外购能开发票吗{article.pk}")

    grow()
    with django_assert_max_num_queries(20) as small:
        assert client.get(PAGE).status_code == 200
    for _ in range(4):
        grow()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(PAGE).status_code == 200
