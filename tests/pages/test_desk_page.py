"""The agent workbench start page: own card, team roster with presence, recent customers."""

import pytest
from django.test import Client

from profiles.models import AgentProfile, User
from tests.conftest import ALL_ROLES
from tests.factories import AgentProfileFactory, CustomerProfileFactory, SkillFactory, TeamFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text

DESK = "/desk/"
EXPECTED: dict[str, Outcome] = {
    "anonymous": "login",
    "customer": "forbidden",
    "agent": "ok",
    "supervisor": "ok",
    "qa": "ok",
    "merchant_staff": "forbidden",
    "admin": "ok",
}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_desk_permissions(client_for, role: str) -> None:
    response = client_for(role).get(DESK)
    assert_outcome(response, EXPECTED[role], DESK)
    if EXPECTED[role] == "ok":
        text = page_text(response)
        assert "<title>工作台 · 服务中心</title>" in text
        assert "团队成员" in text and "最近客户" in text
        assert '<a class="btn btn--primary" href="/desk/chats/" id="open-chats">在线会话</a>' in text


def test_agent_sees_own_card_and_only_their_teammates(db: None) -> None:
    aftersales = TeamFactory.create(name="售后一组")
    logistics = TeamFactory.create(name="物流组")
    me = AgentProfileFactory.create(user__display_name="王磊", capacity=6, presence=AgentProfile.Presence.AWAY)
    me.teams.add(aftersales)
    me.skills.add(SkillFactory.create(code="aftersales", name="售后"))
    mate = AgentProfileFactory.create(user__display_name="李娜", presence=AgentProfile.Presence.ONLINE)
    mate.teams.add(aftersales)
    stranger = AgentProfileFactory.create(user__display_name="赵敏")
    stranger.teams.add(logistics)

    client = Client()
    client.force_login(me.user)
    text = page_text(client.get(DESK))

    assert 'id="me-title">王磊</h2>' in text
    assert "同时接待 6 个会话" in text
    assert '<span class="chip">售后一组</span>' in text and '<span class="chip">售后</span>' in text
    assert "李娜" in text
    assert "赵敏" not in text
    assert f'<span class="badge badge--online" data-user-id="{mate.user_id}" data-presence="online">在线</span>' in text
    assert f'data-user-id="{me.user_id}" data-presence="away">离开</span>' in text
    # The status control is in the top bar of every desk page; the socket says whose status it is.
    assert 'data-presence-socket="/ws/presence/"' in text
    assert "/static/desk/shell.js" in text
    assert '<option value="busy">忙碌</option>' in text and '<option value="offline">离线</option>' in text


def test_presence_labels_for_the_live_script_are_in_the_page_language(client_for) -> None:
    text = page_text(client_for("agent").get(DESK))
    assert '<script id="presence-strings" type="application/json">' in text
    assert '"online": "\\u5728\\u7ebf"' in text  # 在线


def test_supervisor_without_agent_profile_sees_everyone(client_for, db: None) -> None:
    first = AgentProfileFactory.create(user__display_name="甲客服")
    second = AgentProfileFactory.create(user__display_name="乙客服")
    first.teams.add(TeamFactory.create())
    text = page_text(client_for("supervisor").get(DESK))
    assert "甲客服" in text and "乙客服" in text
    assert "您没有客服档案" in text
    assert second.user.username in text


def _recent_customer() -> User:
    return CustomerProfileFactory.create(user__phone="13912345678", user__display_name="周小芸", vip_level=2).user


def test_agent_sees_recent_customers_with_the_phone_masked(client_for) -> None:
    client = client_for("agent")
    _recent_customer()
    text = page_text(client.get(DESK))
    assert "周小芸" in text
    assert "黄金会员" in text
    assert "139****5678" in text
    assert "13912345678" not in text


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_roles_with_view_pii_see_the_phone_in_clear(client_for, role: str) -> None:
    client = client_for(role)
    _recent_customer()
    text = page_text(client.get(DESK))
    assert "13912345678" in text


def test_desk_query_count_does_not_grow_with_rows(db: None, django_assert_max_num_queries) -> None:
    team = TeamFactory.create()
    me = AgentProfileFactory.create()
    me.teams.add(team)
    client = Client()
    client.force_login(me.user)
    client.get(DESK)  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(16) as before:
        client.get(DESK)
    for number in range(4):
        mate = AgentProfileFactory.create(user__display_name=f"新同事{number}")
        mate.teams.add(team, TeamFactory.create())
        mate.skills.add(SkillFactory.create(), SkillFactory.create())
        CustomerProfileFactory.create(tags=["复购", "新客"])
    with django_assert_max_num_queries(16) as after:
        response = client.get(DESK)
    assert "新同事3" in page_text(response)
    assert len(after.captured_queries) == len(before.captured_queries)
