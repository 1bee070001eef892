"""In Chromium: the knowledge analytics draw their two trend charts under the strict CSP, and the "draft an
FAQ" button of a question group opens the draft in the editor; screenshots land in test-artifacts/."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from knowledge import services
from knowledge.models import Article, ArticleFeedback, KnowledgeEvent, UnansweredQuestion
from profiles.roles import Role
from reports.rollups import local_today
from tests.aftersales.test_browser import log_in
from tests.browser import ARTIFACTS, in_thread
from tests.factories import CustomerProfileFactory, UserFactory
from tests.knowledge.factories import ArticleFactory
from tests.reports.test_browser import _drawn_canvases

pytestmark = pytest.mark.browser


@pytest.fixture
def supervisor(transactional_db: None) -> Any:
    now = timezone.now()
    articles = [ArticleFactory.create(title_zh=title, title_en=english) for title, english in (
        ("退货运费谁承担", "Who pays return shipping"), ("发票怎么开", "How to get an invoice"),
        ("海外购清关", "Cross-border customs"))]
    customers = [CustomerProfileFactory.create().user for _ in range(4)]
    for days_ago in range(7):
        for number in range(3 + days_ago % 3):
            kind = KnowledgeEvent.Kind.BOT_ANSWERED if number % 3 else KnowledgeEvent.Kind.BOT_UNSURE
            event = services.event_record(kind=kind, user=customers[number % 4], query="退货运费", confidence=0.9)
            views = services.event_record(kind=KnowledgeEvent.Kind.VIEW, article=articles[number % 3])
            search = services.search_record(query="火星快递" if number == 0 else "发票", results=number)
            KnowledgeEvent.objects.filter(pk__in=[event.pk, views.pk, search.pk]).update(
                created_at=now - timedelta(days=days_ago, minutes=number))
    for article, helpful in ((articles[0], True), (articles[0], True), (articles[1], False)):
        ArticleFeedback.objects.create(article=article, helpful=helpful)
    for text in ("海外购的商品可以开发票吗", "海外购商品能不能开发票", "海外购开发票怎么弄", "积分什么时候过期",
                 "积分过期了还能恢复吗"):
        UnansweredQuestion.objects.create(text=text, confidence=0.3)
    return UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True, display_name="主管 王芳")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_knowledge_analytics_draw_and_draft(supervisor: Any, asgi_live_server: str, chromium_page: Any,
                                            language: str) -> None:
    base, page = asgi_live_server, chromium_page
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    log_in(page, base, supervisor.username, "/reports/")
    first = (local_today() - timedelta(days=6)).isoformat()
    page.goto(f"{base}/reports/knowledge/?date_from={first}&date_to={local_today().isoformat()}")
    painted = _drawn_canvases(page)
    assert len(painted) == 2 and all(count > 2_000 for count in painted), painted
    page.screenshot(path=str(ARTIFACTS / f"reports-knowledge-{language}.png"), full_page=True)
    if language == "en":
        return
    assert page.locator("[data-section=clusters] tr[data-cluster-size]").count() >= 1
    page.locator("[data-section=clusters] tr[data-cluster-size='3'] [data-action=draft-faq]").click()
    page.wait_for_url(f"{base}/help/editor/*/")
    assert in_thread(lambda: Article.objects.filter(category__slug="auto-drafts", status="draft").count()) == 1
