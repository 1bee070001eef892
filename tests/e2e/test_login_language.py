"""An agent signs in with a real browser, sees the workbench in Chinese, goes live and switches to English."""

from typing import Any

import pytest

from profiles.models import AgentProfile
from tests.browser import ARTIFACTS, in_thread
from tests.factories import PASSWORD, AgentProfileFactory, SkillFactory, TeamFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def agent(transactional_db: None) -> AgentProfile:
    team = TeamFactory.create(name="售后一组")
    profile = AgentProfileFactory.create(user__display_name="王磊", capacity=6)
    profile.teams.add(team)
    profile.skills.add(SkillFactory.create(code="aftersales", name="售后"))
    teammate = AgentProfileFactory.create(user__display_name="李娜", presence=AgentProfile.Presence.AWAY)
    teammate.teams.add(team)
    return profile


def own_badge(agent: AgentProfile, presence: str) -> str:
    return f'#desk aside .badge[data-user-id="{agent.user_id}"][data-presence="{presence}"]'


def presence_in_db(agent: AgentProfile) -> str:
    return in_thread(lambda: AgentProfile.objects.get(pk=agent.pk).presence)


def test_agent_logs_in_goes_live_and_switches_to_english(agent, asgi_live_server: str, chromium_page: Any) -> None:
    page = chromium_page
    page.goto(f"{asgi_live_server}/desk/")

    # Not signed in: the login page, in Chinese.
    assert "/accounts/login/" in page.url
    assert page.title() == "登录 · 服务中心"
    page.fill("#id_username", agent.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")

    page.wait_for_url(f"{asgi_live_server}/desk/")
    assert page.title() == "工作台 · 服务中心"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#me-title").inner_text() == "王磊"
    assert page.locator(".usercard__roles").inner_text() == "客服"

    # desk/shell.js opens /ws/presence/ from the top bar: the agent goes online and the badge follows.
    page.wait_for_selector(own_badge(agent, "online"))
    assert page.locator(own_badge(agent, "online")).inner_text() == "在线"
    page.wait_for_selector("#presence-select:enabled")
    assert page.input_value("#presence-select") == "online"
    page.screenshot(path=str(ARTIFACTS / "desk-zh.png"), full_page=True)
    assert presence_in_db(agent) == AgentProfile.Presence.ONLINE

    # Choosing "away" goes over the socket and comes back as a broadcast.
    page.select_option("#presence-select", "away")
    page.wait_for_selector(own_badge(agent, "away"))
    assert presence_in_db(agent) == AgentProfile.Presence.AWAY

    # The language switcher: the same page, now in English.
    page.click('.langswitch button[value="en"]')
    page.locator("html[lang=en]").wait_for(state="attached")
    assert page.url == f"{asgi_live_server}/desk/"
    assert page.title() == "Workbench · Service Center"
    assert page.locator("h1").inner_text() == "Workbench"
    assert page.locator(".usercard__roles").inner_text() == "Agent"
    assert page.locator('.langswitch button[aria-pressed="true"]').inner_text() == "English"
    # Reloading reconnects and the chosen status is kept, now labelled in English.
    page.wait_for_selector("#presence-select:enabled")
    assert page.input_value("#presence-select") == "away"
    assert page.locator(own_badge(agent, "away")).inner_text() == "Away"
    assert presence_in_db(agent) == AgentProfile.Presence.AWAY
    page.screenshot(path=str(ARTIFACTS / "desk-en.png"), full_page=True)
