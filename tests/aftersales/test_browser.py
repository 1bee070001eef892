"""In a real browser: the customer applies for a return with a photo, the store approves it in a second
browser context, and the customer's timeline shows the approval and the return address."""

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from aftersales.services import setup
from profiles import services
from tests.aftersales.factories import make_order
from tests.browser import ARTIFACTS
from tests.factories import PASSWORD, CustomerProfileFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db: None, tmp_path: Path) -> dict[str, Any]:
    setup.reference_data_ensure()
    customer = CustomerProfileFactory.create(user__display_name="张小明").user
    store = StoreFactory.create(name="米果数码官方旗舰店")
    staff = UserFactory.create(display_name="米果客服 钱晨")
    services.store_add_staff(store=store, user=staff)
    setup.return_address_ensure(store=store, recipient="米果售后中心 周师傅", phone="4008001234",
                                address="广东省东莞市松山湖高新区工业东路 18 号")
    order = make_order(customer=customer, store=store, signed_days_ago=2)
    picture = tmp_path / "cracked.png"
    Image.new("RGB", (320, 240), (220, 60, 60)).save(picture)
    return {"customer": customer, "staff": staff, "order": order, "picture": picture}


def log_in(page: Any, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}{then}")


def test_apply_with_photo_then_store_approves_and_timeline_updates(
    scene: dict[str, Any], asgi_live_server: str, chromium_page: Any
) -> None:
    base, page = asgi_live_server, chromium_page
    log_in(page, base, scene["customer"].username, "/aftersales/")
    assert page.title() == "售后服务 · 服务中心"
    page.click(f"a[href='/aftersales/orders/{scene['order'].pk}/']")
    page.click("text=申请售后")
    page.check("input[name=request_type][value=return_refund]")
    page.select_option("#id_reason", "return_refund:damaged")
    page.fill("#id_description", "快递外箱压坏 耳机盒有裂纹")
    page.set_input_files("#id_images", str(scene["picture"]))
    page.check("#id_confirm")
    page.screenshot(path=str(ARTIFACTS / "aftersales-apply.png"), full_page=True)
    page.click("form.as-form button[type=submit]")
    page.wait_for_url(f"{base}/aftersales/requests/AS*/")
    number = page.url.rstrip("/").rsplit("/", 1)[1]
    assert "商家审核中" in page.locator("#timeline").inner_text()
    assert page.locator(".evidence img").count() == 1

    merchant_context = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    merchant = merchant_context.new_page()
    try:
        log_in(merchant, base, scene["staff"].username, "/merchant/")
        assert number in merchant.locator("#queue-title").locator("xpath=../..").inner_text()
        merchant.screenshot(path=str(ARTIFACTS / "aftersales-merchant-queue.png"), full_page=True)
        merchant.click(f"text={number}")
        merchant.wait_for_url(f"{base}/merchant/requests/{number}/")
        merchant.screenshot(path=str(ARTIFACTS / "aftersales-merchant-request.png"), full_page=True)
        merchant.click("form[data-action=approve] button")
        merchant.wait_for_selector(".alert--success")
        assert "待买家寄回" in merchant.locator("#timeline").inner_text()
    finally:
        merchant_context.close()

    page.reload()
    timeline = page.locator("#timeline").inner_text()
    assert "已同意" in timeline and "待买家寄回" in timeline
    assert "广东省东莞市松山湖高新区" in page.locator("#return-address").inner_text()
    page.screenshot(path=str(ARTIFACTS / "aftersales-request-customer.png"), full_page=True)
    page.goto(f"{base}/aftersales/")
    assert number in page.locator("#requests-title").locator("xpath=../..").inner_text()
    page.screenshot(path=str(ARTIFACTS / "aftersales-home.png"), full_page=True)
