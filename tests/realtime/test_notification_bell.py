"""The bell's count over the desk shell's socket (/ws/presence/, desk.consumers): in the first frame, then
pushed after every change, to every tab of that user only."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from tests.desk.conftest import notify_user
from tests.realtime.conftest import TIMEOUT, Login
from tickets.services import notifications

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def next_of_type(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


async def test_count_is_in_the_first_frame_and_follows_each_change(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    agent, colleague = await sync_to_async(login_as)("agent"), await sync_to_async(login_as)("agent")
    await sync_to_async(notify_user)(agent.user)
    socket, (connected, _) = await open_socket(agent)
    assert connected
    assert (await next_of_type(socket, "self"))["unread"] == 1
    other_socket, _ = await open_socket(colleague)
    assert (await next_of_type(other_socket, "self"))["unread"] == 0

    await sync_to_async(notify_user)(agent.user)
    assert await next_of_type(socket, "notifications") == {"type": "notifications", "unread": 2}

    await sync_to_async(notifications.mark_all_read)(user=agent.user)
    assert await next_of_type(socket, "notifications") == {"type": "notifications", "unread": 0}
    # The colleague's socket heard none of it: only presence frames reach them.
    heard = []
    while not await other_socket.receive_nothing(timeout=1):
        heard.append(await other_socket.receive_json_from(timeout=TIMEOUT))
    assert all(frame["type"] != "notifications" for frame in heard)


async def test_a_supervisor_without_agent_profile_has_a_bell_too(
    login_as: Callable[[str], Login], open_socket: Any
) -> None:
    supervisor = await sync_to_async(login_as)("supervisor")
    await sync_to_async(notify_user)(supervisor.user)
    socket, _ = await open_socket(supervisor)
    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "self", "user_id": supervisor.user.pk, "agent": False, "unread": 1}
