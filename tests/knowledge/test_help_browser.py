"""A customer finds an answer with a real browser: instant suggestions, the article, feedback; desktop and phone."""

# The pages are Chinese; their punctuation is full-width.
# ruff: noqa: RUF001

import io

import pytest

from knowledge.seed import seed_knowledge
from profiles.roles import Role
from tests.e2e.conftest import ARTIFACTS
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_kb(transactional_db: None) -> None:
    UserFactory.create(username="admin", roles=(Role.ADMIN,), is_superuser=True)
    seed_knowledge(io.StringIO())


def test_search_suggests_as_you_type_and_leads_to_the_answer(demo_kb, asgi_live_server, chromium_page) -> None:
    page = chromium_page
    page.goto(f"{asgi_live_server}/help/")
    page.screenshot(path=str(ARTIFACTS / "knowledge-help-home.png"), full_page=True)
    page.locator("#help-search").fill("退货运费谁出")
    suggestion = page.locator("#help-suggestions a").first
    suggestion.wait_for()
    assert "退货运费谁承担" in suggestion.inner_text()
    page.screenshot(path=str(ARTIFACTS / "knowledge-help-suggest.png"))
    suggestion.click()
    page.wait_for_url("**/help/articles/return-shipping-fee/?from=search")
    assert page.locator("h1").inner_text() == "退货运费谁承担？"
    page.locator("#kb-comment").fill("写得很清楚")
    page.get_by_role("button", name="有帮助").click()
    page.locator(".kb-feedback__thanks").wait_for()
    page.screenshot(path=str(ARTIFACTS / "knowledge-article.png"), full_page=True)

    page.goto(f"{asgi_live_server}/help/search/?q=快递到哪了")
    assert page.locator(".kb-result").count() >= 3
    assert page.locator(".kb-result mark").first.inner_text() in {"快递", "物流", "包裹"}
    page.screenshot(path=str(ARTIFACTS / "knowledge-search.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{asgi_live_server}/help/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone layout scrolls sideways ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "knowledge-help-home-390.png"), full_page=True)
    page.goto(f"{asgi_live_server}/help/articles/refund-timeline/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "knowledge-article-390.png"), full_page=True)
