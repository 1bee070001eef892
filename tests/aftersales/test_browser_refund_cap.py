"""In a real browser: the refund amount on the apply form follows the quantity (1 of 2 phones → ¥1,299),
and an amount over the share of the chosen quantity is refused under the amount field."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from aftersales.models import AfterSalesRequest
from aftersales.services import setup
from tests.aftersales.factories import make_order
from tests.browser import ARTIFACTS, in_thread
from tests.factories import CustomerProfileFactory, StoreFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def apply_path_and_cookie(transactional_db: None) -> tuple[str, str]:
    """Built before the browser starts (its event loop refuses synchronous queries)."""
    setup.reference_data_ensure()
    customer = CustomerProfileFactory.create(user__display_name="张小明").user
    order = make_order(customer=customer, store=StoreFactory.create(), signed_days_ago=None, quantity=2,
                       paid_fen=259_800)
    client = Client()
    client.force_login(customer)
    return f"/aftersales/items/{order.items.get().pk}/apply/", client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_amount_follows_the_quantity_and_the_cap_is_enforced(
    apply_path_and_cookie: tuple[str, str], asgi_live_server: str, chromium_page: Any
) -> None:
    path, cookie = apply_path_and_cookie
    page = chromium_page
    host = asgi_live_server.split("//")[1].split(":")[0]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "domain": host, "path": "/",
                               "value": cookie}])
    page.goto(f"{asgi_live_server}{path}")
    assert page.input_value("#id_amount") == "2598.00"
    page.fill("#id_quantity", "1")
    page.dispatch_event("#id_quantity", "input")
    assert page.input_value("#id_amount") == "1299.00"
    page.check('input[name="request_type"][value="refund_only"]')
    page.select_option("#id_reason", "refund_only:not-received")
    page.fill("#id_amount", "2598.00")  # the whole line for one of two: the over-payment of issue 18
    page.check("#id_confirm")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("load")
    assert "¥1,299.00" in page.locator(".field--error").inner_text()
    page.screenshot(path=str(ARTIFACTS / "aftersales-refund-cap.png"), full_page=True)
    assert not in_thread(AfterSalesRequest.objects.exists)
