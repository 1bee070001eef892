"""The public help-center start page: categories from the skills, the stores, contact and hours."""

import pytest
from django.test import Client

from profiles.models import AgentProfile
from tests.conftest import ALL_ROLES
from tests.factories import AgentProfileFactory, SkillFactory, StoreFactory
from tests.pages.conftest import page_text

HELP = "/help/"
CATEGORIES = {"aftersales": "售后", "logistics": "物流", "payment": "支付", "product": "商品咨询"}


@pytest.fixture
def marketplace(db: None) -> dict[str, object]:
    skills = {code: SkillFactory.create(code=code, name=name) for code, name in CATEGORIES.items()}
    online = AgentProfileFactory.create(presence=AgentProfile.Presence.ONLINE)
    online.skills.add(skills["logistics"])
    AgentProfileFactory.create(presence=AgentProfile.Presence.AWAY).skills.add(skills["logistics"])
    stores = [StoreFactory.create(name="米果数码官方旗舰店", merchant__name="米果数码"), StoreFactory.create()]
    return {"skills": skills, "stores": stores}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_everyone_may_open_the_help_center(client_for, marketplace, role: str) -> None:
    response = client_for(role).get(HELP)
    text = page_text(response)
    assert response.status_code == 200
    assert "<title>帮助中心 · 服务中心</title>" in text
    for name in CATEGORIES.values():
        assert f"<h3>{name}</h3>" in text
    for store in marketplace["stores"]:
        assert store.name in text
        assert store.merchant.name in text
    assert "服务时间" in text and "联系我们" in text
    if role == "anonymous":
        assert "登录办理售后" in text
    else:
        assert "前往售后服务" in text


def test_categories_say_how_many_agents_are_online_for_them(client_for, marketplace) -> None:
    text = page_text(client_for("anonymous").get(HELP))
    # Logistics has one online and one away agent; the others have none online.
    assert text.count('<span class="badge badge--online">1 位客服在线</span>') == 1
    assert text.count('<span class="badge badge--offline">暂无客服在线</span>') == 3
    assert "当前 1 位客服在线" in text


def test_the_search_form_keeps_the_query_escaped_and_promises_nothing(client_for, marketplace) -> None:
    text = page_text(client_for("anonymous").get(HELP, {"q": "<b>退款</b>"}))
    assert 'name="q" value="&lt;b&gt;退款&lt;/b&gt;"' in text
    assert "<b>退款</b>" not in text
    assert "文章搜索暂未开放" in text


def test_empty_marketplace_says_so_instead_of_inventing_content(db: None) -> None:
    text = page_text(Client().get(HELP))
    assert "尚未设置服务分类" in text
    assert "暂无店铺" in text


def test_help_center_query_count_does_not_grow_with_rows(
    client_for, marketplace, django_assert_max_num_queries
) -> None:
    client = client_for("customer")
    with django_assert_max_num_queries(12) as before:
        client.get(HELP)
    for number in range(5):
        skill = SkillFactory.create(code=f"extra-{number}", name=f"分类{number}")
        AgentProfileFactory.create(presence=AgentProfile.Presence.ONLINE).skills.add(skill)
        StoreFactory.create()
    with django_assert_max_num_queries(12) as after:
        response = client.get(HELP)
    assert "分类4" in page_text(response)
    assert len(after.captured_queries) == len(before.captured_queries)
