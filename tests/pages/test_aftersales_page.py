"""The customer's after-sales start page."""

import pytest
from django.test import Client

from tests.conftest import ALL_ROLES
from tests.factories import CustomerProfileFactory
from tests.pages.conftest import assert_outcome, page_text

AFTERSALES = "/aftersales/"
REQUEST_TYPES = ["仅退款", "退货退款", "换货", "维修", "投诉"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_aftersales_permissions(client_for, role: str) -> None:
    response = client_for(role).get(AFTERSALES)
    assert_outcome(response, "login" if role == "anonymous" else "ok", AFTERSALES)
    if role != "anonymous":
        text = page_text(response)
        assert "<title>售后服务 · 服务中心</title>" in text
        for request_type in REQUEST_TYPES:
            assert request_type in text


def test_customer_sees_their_name_vip_level_and_empty_lists(db: None) -> None:
    customer = CustomerProfileFactory.create(user__display_name="张小明", vip_level=3, external_id="SHOP-C00001")
    client = Client()
    client.force_login(customer.user)
    text = page_text(client.get(AFTERSALES))
    assert 'id="me-title"><bdi>张小明</bdi></h2>' in text
    assert "会员等级：铂金会员" in text  # noqa: RUF001 (the Chinese full-width colon is right here)
    assert "SHOP-C00001" in text
    assert "暂无售后申请" in text and "暂无订单" in text
    # Agents' arbitration queue is not offered to customers.
    assert "/aftersales/arbitration/" not in text


def test_someone_without_a_customer_profile_is_told_so(client_for) -> None:
    text = page_text(client_for("agent").get(AFTERSALES))
    assert "您的账号没有客户档案" in text
    assert "会员等级：" not in text  # noqa: RUF001
    assert "我的订单" not in text
