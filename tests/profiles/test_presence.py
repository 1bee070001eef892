"""Presence as one mechanism (profiles/presence.py): tabs, grace periods, idleness and the agent's choice."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from profiles import presence
from profiles.models import AgentProfile, User

pytestmark = pytest.mark.django_db

STALE = 120
LINGER = 15
IDLE = 600


@pytest.fixture(autouse=True)
def _presence_timing(settings: Any) -> None:
    settings.PRESENCE_STALE_AFTER_SECONDS = STALE
    settings.PRESENCE_CLOSE_GRACE_SECONDS = LINGER
    settings.PRESENCE_IDLE_AWAY_SECONDS = IDLE


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("agent")


def shown(user: User) -> str:
    return AgentProfile.objects.get(user=user).presence


def at(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=seconds)


def test_the_first_tab_starts_online_and_a_chosen_status_is_kept_on_every_other_page(agent: User) -> None:
    start = timezone.now()
    presence.presence_tab_open(user=agent, tab="desk", now=start)
    assert shown(agent) == "online"
    presence.presence_choose(user=agent, tab="desk", presence="busy", now=at(start, 5))

    # Going from /desk/ to /desk/chats/: the old page's socket closes, the new one opens.
    presence.presence_tab_close(user=agent, tab="desk", now=at(start, 10))
    assert shown(agent) == "busy"
    presence.presence_tab_open(user=agent, tab="chats", now=at(start, 11))
    assert presence.presence_sweep(now=at(start, 10 + LINGER + 1)) == 0

    assert shown(agent) == "busy"


def test_closing_one_of_two_tabs_changes_nothing_and_the_last_goes_offline_after_the_linger(agent: User) -> None:
    start = timezone.now()
    presence.presence_tab_open(user=agent, tab="one", now=start)
    presence.presence_tab_open(user=agent, tab="two", now=at(start, 1))

    presence.presence_tab_close(user=agent, tab="one", now=at(start, 2))
    presence.presence_sweep(now=at(start, 2 + LINGER + 1))
    assert shown(agent) == "online"

    presence.presence_tab_close(user=agent, tab="two", now=at(start, 30))
    assert shown(agent) == "online"  # lingering: a page change would reconnect now
    assert presence.presence_sweep(now=at(start, 30 + LINGER + 1)) == 1
    assert shown(agent) == "offline"


def test_a_stale_heartbeat_means_a_closed_tab_and_a_late_frame_cannot_revive_another_tab(agent: User) -> None:
    start = timezone.now()
    presence.presence_tab_open(user=agent, tab="one", now=start)
    presence.presence_tab_open(user=agent, tab="two", now=start)
    presence.presence_heartbeat(user=agent, tab="two", active=True, now=at(start, 100))

    # Tab one never beat again: past the grace it no longer counts, but tab two still does.
    presence.presence_sweep(now=at(start, STALE + 1))
    assert shown(agent) == "online"
    presence.presence_tab_close(user=agent, tab="one", now=at(start, STALE + 2))  # its late close
    assert shown(agent) == "online"

    assert presence.presence_sweep(now=at(start, 100 + STALE + 1)) == 1
    assert shown(agent) == "offline"


def test_idle_online_agents_turn_away_and_come_back_when_they_use_a_tab(agent: User) -> None:
    start = timezone.now()
    presence.presence_tab_open(user=agent, tab="desk", now=start)
    for beat in range(1, 24):  # the tab keeps beating, nobody touches it
        presence.presence_heartbeat(user=agent, tab="desk", active=False, now=at(start, beat * 30))
    assert shown(agent) == "away"
    assert AgentProfile.objects.get(user=agent).chosen_presence == "online"

    presence.presence_heartbeat(user=agent, tab="desk", active=True, now=at(start, 24 * 30))

    assert shown(agent) == "online"


def test_idleness_never_overrides_busy_and_offline_is_a_choice(agent: User) -> None:
    start = timezone.now()
    presence.presence_tab_open(user=agent, tab="desk", now=start)
    presence.presence_choose(user=agent, tab="desk", presence="busy", now=start)
    presence.presence_heartbeat(user=agent, tab="desk", active=False, now=at(start, IDLE + 60))
    assert shown(agent) == "busy"

    presence.presence_choose(user=agent, tab="desk", presence="offline", now=at(start, IDLE + 61))
    assert shown(agent) == "offline"
    presence.presence_heartbeat(user=agent, tab="desk", active=True, now=at(start, IDLE + 90))
    assert shown(agent) == "offline"


def test_a_new_working_session_starts_online_whatever_was_chosen_last(agent: User) -> None:
    start = timezone.now()
    presence.presence_tab_open(user=agent, tab="monday", now=start)
    presence.presence_choose(user=agent, tab="monday", presence="away", now=start)
    presence.presence_tab_close(user=agent, tab="monday", now=at(start, 60))
    presence.presence_sweep(now=at(start, 3600))
    assert shown(agent) == "offline"

    presence.presence_tab_open(user=agent, tab="tuesday", now=at(start, 86400))

    assert shown(agent) == "online"


def test_an_unknown_status_is_refused(agent: User) -> None:
    with pytest.raises(ValueError, match="unknown presence"):
        presence.presence_choose(user=agent, tab="desk", presence="asleep")
    assert shown(agent) == "offline"
