"""`/ws/presence/` through the whole ASGI stack: origin check, cookie session, consumer, Redis layer."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from profiles.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from profiles.models import AgentProfile, User
from tests.realtime.conftest import TIMEOUT, Login, presence_frame, self_frame

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@sync_to_async
def agent_profile(user: User) -> AgentProfile:
    return AgentProfile.objects.get(user=user)


@sync_to_async
def presence_history(user: User) -> list[str]:
    return list(AgentProfile.history.filter(user_id=user.pk).order_by("history_id").values_list("presence", flat=True))


@sync_to_async
def set_last_seen(user: User, seconds_ago: int) -> None:
    # Both clocks, but short of the idle limit: the beats below must not turn the agent away.
    then = timezone.now() - timedelta(seconds=seconds_ago)
    AgentProfile.objects.filter(user=user).update(last_seen_at=then, last_active_at=then)


async def test_connecting_agent_goes_online_and_other_agents_hear_it(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    watcher, agent = await sync_to_async(login_as)("agent"), await sync_to_async(login_as)("agent")
    watcher_socket, (connected, _) = await open_socket(watcher)
    assert connected
    assert await watcher_socket.receive_json_from(timeout=TIMEOUT) == self_frame(watcher.user)
    assert await watcher_socket.receive_json_from(timeout=TIMEOUT) == presence_frame(watcher.user, "online", "online")
    assert (await agent_profile(agent.user)).presence == "offline"

    agent_socket, (connected, _) = await open_socket(agent)

    assert connected
    assert await watcher_socket.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "online")
    assert await agent_socket.receive_json_from(timeout=TIMEOUT) == self_frame(agent.user)
    assert await agent_socket.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "online", "online")
    profile = await agent_profile(agent.user)
    assert profile.presence == "online"
    assert profile.last_seen_at is not None


async def test_chosen_status_reaches_everyone_and_the_agents_other_tabs(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    watcher, agent = await sync_to_async(login_as)("agent"), await sync_to_async(login_as)("agent")
    watcher_socket, _ = await open_socket(watcher)
    await watcher_socket.receive_json_from(timeout=TIMEOUT)
    await watcher_socket.receive_json_from(timeout=TIMEOUT)
    first_tab, _ = await open_socket(agent)
    await watcher_socket.receive_json_from(timeout=TIMEOUT)
    await first_tab.receive_json_from(timeout=TIMEOUT)
    await first_tab.receive_json_from(timeout=TIMEOUT)
    second_tab, _ = await open_socket(agent)
    # The second tab joins the running session: nothing changes, so nothing is pushed.
    assert await second_tab.receive_json_from(timeout=TIMEOUT) == self_frame(agent.user)

    await first_tab.send_json_to({"type": "presence", "presence": "busy"})

    assert await first_tab.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "busy", "busy")
    assert await second_tab.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "busy", "busy")
    assert await watcher_socket.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "busy")
    assert (await agent_profile(agent.user)).presence == "busy"
    assert (await presence_history(agent.user))[-2:] == ["online", "busy"]


async def test_closing_one_of_two_tabs_keeps_the_status_and_the_last_one_goes_offline(
    login_as: Callable[[str], Login], open_socket: Any, settings: Any
) -> None:
    settings.PRESENCE_CLOSE_GRACE_SECONDS = 0
    watcher, agent = await sync_to_async(login_as)("agent"), await sync_to_async(login_as)("agent")
    watcher_socket, _ = await open_socket(watcher)
    await watcher_socket.receive_json_from(timeout=TIMEOUT)
    await watcher_socket.receive_json_from(timeout=TIMEOUT)
    first_tab, _ = await open_socket(agent)
    second_tab, _ = await open_socket(agent)
    assert await watcher_socket.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "online")

    await first_tab.disconnect(timeout=TIMEOUT)
    assert (await agent_profile(agent.user)).presence == "online"
    await second_tab.send_json_to({"type": "heartbeat", "active": True})
    assert await second_tab.receive_json_from(timeout=TIMEOUT) == self_frame(agent.user)
    assert await second_tab.receive_json_from(timeout=TIMEOUT) == {"type": "heartbeat.ack"}

    await second_tab.disconnect(timeout=TIMEOUT)

    assert await watcher_socket.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "offline")
    assert (await agent_profile(agent.user)).presence == "offline"


async def test_heartbeat_refreshes_last_seen_and_reports_use(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    agent = await sync_to_async(login_as)("agent")
    socket, _ = await open_socket(agent)
    await socket.receive_json_from(timeout=TIMEOUT)
    await socket.receive_json_from(timeout=TIMEOUT)
    await set_last_seen(agent.user, seconds_ago=300)
    stale = await agent_profile(agent.user)

    await socket.send_json_to({"type": "heartbeat", "active": False})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "heartbeat.ack"}
    idle = await agent_profile(agent.user)
    await socket.send_json_to({"type": "heartbeat", "active": True})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "heartbeat.ack"}
    used = await agent_profile(agent.user)

    assert stale.last_seen_at is not None and idle.last_seen_at is not None
    assert idle.last_seen_at > stale.last_seen_at + timedelta(seconds=290)
    assert idle.last_active_at == stale.last_active_at
    assert used.last_active_at is not None and stale.last_active_at is not None
    assert used.last_active_at > stale.last_active_at + timedelta(seconds=290)
    assert used.presence == "online"


async def test_anonymous_is_refused_with_4401(open_socket: Any) -> None:
    socket, (accepted, _) = await open_socket(None)

    # Accepted only so the application close code reaches the client.
    assert accepted
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


@pytest.mark.parametrize("role", ["customer", "merchant_staff"])
async def test_people_without_the_desk_are_refused_with_4403(
    role: str, login_as: Callable[[str], Login], open_socket: Any
) -> None:
    someone = await sync_to_async(login_as)(role)

    socket, (accepted, _) = await open_socket(someone)

    assert accepted
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    # A frame already in flight is ignored; the fixture's disconnect re-raises if the consumer crashed.
    await socket.send_json_to({"type": "presence", "presence": "away"})
    assert not await sync_to_async(AgentProfile.objects.filter(user=someone.user).exists)()


async def test_a_supervisor_watches_live_but_has_no_status(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    supervisor, agent = await sync_to_async(login_as)("supervisor"), await sync_to_async(login_as)("agent")
    watcher, _ = await open_socket(supervisor)
    assert await watcher.receive_json_from(timeout=TIMEOUT) == {"type": "self", "user_id": supervisor.user.pk,
                                                                 "agent": False, "unread": 0}
    await watcher.send_json_to({"type": "presence", "presence": "online"})
    assert (await watcher.receive_json_from(timeout=TIMEOUT))["code"] == "not_agent"

    agent_socket, _ = await open_socket(agent)
    await agent_socket.receive_json_from(timeout=TIMEOUT)
    await agent_socket.send_json_to({"type": "presence", "presence": "away"})

    assert await watcher.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "online")
    assert await watcher.receive_json_from(timeout=TIMEOUT) == presence_frame(agent.user, "away")
    assert not await sync_to_async(AgentProfile.objects.filter(user=supervisor.user).exists)()


async def test_foreign_origin_is_refused_before_the_consumer_runs(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    agent = await sync_to_async(login_as)("agent")

    _, (connected, _) = await open_socket(agent, origin="http://evil.example")

    assert not connected
    assert (await agent_profile(agent.user)).presence == "offline"


@pytest.mark.parametrize(
    ("frame", "error_code"),
    [
        ({"type": "websocket.receive", "text": "not json {"}, "invalid_json"),
        ({"type": "websocket.receive", "text": ""}, "invalid_json"),
        ({"type": "websocket.receive", "bytes": b"\x00\x01"}, "invalid_json"),
        ({"type": "websocket.receive", "text": "[1, 2]"}, "unknown_type"),
        ({"type": "websocket.receive", "text": '"heartbeat"'}, "unknown_type"),
        ({"type": "websocket.receive", "text": '{"type": "dance"}'}, "unknown_type"),
        ({"type": "websocket.receive", "text": '{"presence": "away"}'}, "unknown_type"),
        ({"type": "websocket.receive", "text": '{"type": "presence", "presence": "asleep"}'}, "invalid_presence"),
        ({"type": "websocket.receive", "text": '{"type": "presence", "presence": ["away"]}'}, "invalid_presence"),
        ({"type": "websocket.receive", "text": '{"type": "presence"}'}, "invalid_presence"),
    ],
)
async def test_bad_messages_get_an_error_frame_and_the_socket_survives(
    frame: dict[str, Any], error_code: str, login_as: Callable[[str], Login], open_socket: Any
) -> None:
    agent = await sync_to_async(login_as)("agent")
    socket, _ = await open_socket(agent)
    await socket.receive_json_from(timeout=TIMEOUT)
    await socket.receive_json_from(timeout=TIMEOUT)

    await socket.send_input(frame)

    error = await socket.receive_json_from(timeout=TIMEOUT)
    assert error["type"] == "error"
    assert error["code"] == error_code
    assert error["message"]
    await socket.send_json_to({"type": "heartbeat"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "heartbeat.ack"}
    assert (await agent_profile(agent.user)).presence == "online"
