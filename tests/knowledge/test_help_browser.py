"""A customer finds an answer with a real browser: instant suggestions, the article, feedback; desktop and phone."""

# The pages are Chinese; their punctuation is full-width.
# ruff: noqa: RUF001

import io

import pytest

from knowledge.seed import seed_knowledge
from profiles.roles import Role
from tests.browser import ARTIFACTS
from tests.factories import PASSWORD, UserFactory
from tests.knowledge.factories import SEARCH_FIXTURE_ARTICLES

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_kb(transactional_db: None) -> None:
    UserFactory.create(username="admin", roles=(Role.ADMIN,), is_superuser=True)
    seed_knowledge(io.StringIO(), articles=SEARCH_FIXTURE_ARTICLES)


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


def test_an_editor_sees_the_live_preview_and_a_topic_page(demo_kb, asgi_live_server, chromium_page) -> None:
    page = chromium_page
    page.goto(f"{asgi_live_server}/help/categories/returns/")
    assert page.locator(".kb-list li").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "knowledge-category.png"), full_page=True)

    page.goto(f"{asgi_live_server}/help/editor/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/help/editor/")
    page.screenshot(path=str(ARTIFACTS / "knowledge-editor-list.png"), full_page=True)
    page.goto(f"{asgi_live_server}/help/editor/return-shipping-fee/")
    page.locator("#id_body_zh").fill("**运费**由<script>alert(1)</script>商家承担")
    # A locator, not wait_for_function: the Content-Security-Policy forbids evaluating strings in the page.
    page.locator("#preview-body_zh strong", has_text="运费").wait_for()
    preview = page.locator("#preview-body_zh")
    assert preview.inner_text().strip() == "运费由alert(1)商家承担"  # raw tags dropped, their words shown as text
    assert preview.locator("strong").inner_text() == "运费"
    assert preview.locator("script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "knowledge-editor-edit.png"), full_page=True)
