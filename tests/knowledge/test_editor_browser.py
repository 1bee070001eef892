"""An editor in a real browser: review tasks at the top of the editor, an image uploaded and inserted into the
body with its live preview, a bad upload refused in place, and the workbench link with its count."""

# The pages are Chinese; their punctuation is full-width.
# ruff: noqa: RUF001

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from PIL import Image, ImageDraw

from knowledge import services
from knowledge.models import Article, ArticleImage, ReviewTask
from profiles.roles import Role
from tests.browser import ARTIFACTS, in_thread
from tests.factories import PASSWORD, AgentProfileFactory
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.browser



@pytest.fixture
def tasks(transactional_db: None) -> None:
    # An agent granted the edit permission: the "agents with the permission" of the workbench.
    agent = AgentProfileFactory.create(user__username="kb-agent", user__roles=(Role.AGENT,)).user
    agent.user_permissions.add(Permission.objects.get(content_type__app_label="knowledge", codename="change_article"))
    faq = ArticleFactory.create(slug="return-faq", title_zh="退货运费谁承担？",
                                body_zh="七天无理由退货的运费由买家承担；质量问题由商家承担。")
    policy = ArticleFactory.create(slug="return-policy", title_zh="退换货政策", kind=Article.Kind.POLICY,
                                   related=[faq])
    services.article_update(article=policy, editor=None, body_zh="自 12 月 1 日起，质量问题退货的运费由平台先行垫付。")
    ArticleFactory.create(slug="double-11", title_zh="双十一活动规则", expires_at=timezone.now() - timedelta(hours=2))
    services.sweep_schedule()
    assert ReviewTask.objects.filter(status="open").count() == 2


def diagram(path: Path) -> Path:
    """A small flow chart, so the screenshot shows a real picture in the article."""
    image = Image.new("RGB", (720, 240), (248, 250, 252))
    draw = ImageDraw.Draw(image)
    for index, colour in enumerate([(37, 99, 235), (22, 163, 74), (234, 88, 12)]):
        left = 40 + index * 240
        draw.rounded_rectangle((left, 70, left + 170, 170), radius=18, fill=colour)
        if index:
            draw.line((left - 70, 120, left - 4, 120), fill=(71, 85, 105), width=6)
            draw.polygon([(left - 4, 120), (left - 20, 110), (left - 20, 130)], fill=(71, 85, 105))
    image.save(path, "PNG")
    return path


def test_an_agent_editor_works_through_review_tasks_and_adds_an_image(
    tasks: None, asgi_live_server: str, chromium_page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = chromium_page
    page.goto(f"{asgi_live_server}/desk/")
    page.fill("#id_username", "kb-agent")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/desk/")
    link = page.locator("#open-kb-editor")
    assert link.inner_text().split() == ["知识库", "2"]
    page.screenshot(path=str(ARTIFACTS / "knowledge-desk-link.png"))
    link.click()
    page.wait_for_url("**/help/editor/#review-tasks")

    rows = page.locator("#review-tasks tbody tr")
    assert rows.count() == 2
    assert "关联政策已变更" in rows.nth(0).inner_text() and "退换货政策" in rows.nth(0).inner_text()
    assert "文章已过期" in rows.nth(1).inner_text()
    page.screenshot(path=str(ARTIFACTS / "knowledge-review-tasks.png"), full_page=True)
    rows.nth(1).get_by_role("button", name="已复核，完成").click()
    page.locator(".alert", has_text="复核任务已完成").wait_for()
    assert page.locator("#review-tasks tbody tr").count() == 1

    page.locator("#review-tasks a", has_text="退货运费谁承担？").click()
    page.wait_for_url("**/help/editor/return-faq/")
    # A file that is not an image is refused in place, under the field, and nothing is stored.
    fake = tmp_path / "发票.png"
    fake.write_bytes(b"%PDF-1.4 definitely not a picture")
    page.set_input_files("#id_image", str(fake))
    page.get_by_role("button", name="上传图片").click()
    page.locator("#kb-images .errorlist", has_text="这个文件不是可以读取的图片").wait_for()
    assert in_thread(ArticleImage.objects.count) == 0

    page.set_input_files("#id_image", str(diagram(tmp_path / "return-flow.png")))
    page.fill("#id_alt", "退货流程")
    page.get_by_role("button", name="上传图片").click()
    page.locator("#kb-images .kb-images__item.is-new").wait_for()
    image = in_thread(ArticleImage.objects.get)
    assert page.input_value(f"#kb-snippet-{image.pk}") == f"![退货流程](/help/images/{image.pk}/return-flow.jpg)"

    body = page.locator("#id_body_zh")
    body.click()
    body.press("Control+End")
    page.get_by_role("button", name="插入正文").click()
    assert body.input_value().endswith(f"![退货流程](/help/images/{image.pk}/return-flow.jpg)\n\n")
    shown = page.locator("#preview-body_zh img[alt='退货流程']")
    shown.wait_for()
    shown.scroll_into_view_if_needed()
    expect(shown).to_have_js_property("naturalWidth", 720)
    page.get_by_role("button", name="保存").click()
    page.locator(".alert", has_text="文章已保存").wait_for()
    expect(page.locator(f".kb-images__item img[src$='/{image.pk}/return-flow.jpg']")).to_have_js_property(
        "naturalWidth", 720)
    expect(page.locator("#preview-body_zh img")).to_have_js_property("naturalWidth", 720)
    # Each preview renders its own textarea (htmx would otherwise post the whole form, Chinese first).
    expect(page.locator("#preview-body_en")).to_have_text("Body text.")
    # A body over a limit: the preview says which limit instead of going blank.
    page.fill("#id_body_en", "`" * 40)
    expect(page.locator("#preview-body_en .errornote")).to_contain_text("32")
    page.fill("#id_body_en", "Body text.")
    expect(page.locator("#preview-body_en")).to_have_text("Body text.")
    page.screenshot(path=str(ARTIFACTS / "knowledge-editor-image.png"), full_page=True)
    saved = in_thread(lambda: Article.objects.get(slug="return-faq").body_zh)
    assert f"/help/images/{image.pk}/return-flow.jpg" in saved

    # Readers of the published article see the picture too.
    page.goto(f"{asgi_live_server}/help/articles/return-faq/")
    picture = page.locator(".kb-body img[alt='退货流程']")
    picture.wait_for()
    expect(picture).to_have_js_property("naturalWidth", 720)
