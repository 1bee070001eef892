"""Presence changes made outside the socket (the stale sweep) reach connected sockets, after commit only."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from profiles import presence
from profiles.models import AgentProfile, User
from tests.realtime.conftest import TIMEOUT, Login, make_online, presence_frame

REDIS_PY_DEFAULT_SOCKET_TIMEOUT = 5

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


class Rollback(Exception):
    pass


@sync_to_async
def sweep_then_roll_back() -> int:
    try:
        with transaction.atomic():
            changed = presence.presence_sweep()
            raise Rollback
    except Rollback:
        return changed


@sync_to_async
def presence_of(user: User) -> str:
    return AgentProfile.objects.get(user=user).presence


async def test_committed_sweep_is_pushed_to_connected_sockets(
    login_as: Callable[[str], Login], make_user: Callable[..., User], open_socket: Any
) -> None:
    watcher = await sync_to_async(login_as)("agent")
    stale_agent = await sync_to_async(make_user)("agent")
    await sync_to_async(make_online)(stale_agent, seen_seconds_ago=3600)
    socket, _ = await open_socket(watcher)
    await socket.receive_json_from(timeout=TIMEOUT)
    assert await socket.receive_json_from(timeout=TIMEOUT) == presence_frame(watcher.user, "online", "online")

    assert await sync_to_async(presence.presence_sweep)() == 1

    assert await socket.receive_json_from(timeout=TIMEOUT) == presence_frame(stale_agent, "offline")
    assert await presence_of(stale_agent) == "offline"


async def test_rolled_back_sweep_pushes_nothing(
    login_as: Callable[[str], Login], make_user: Callable[..., User], open_socket: Any
) -> None:
    watcher = await sync_to_async(login_as)("agent")
    stale_agent, other_agent = await sync_to_async(make_user)("agent"), await sync_to_async(make_user)("agent")
    await sync_to_async(make_online)(stale_agent, seen_seconds_ago=3600)
    socket, _ = await open_socket(watcher)
    await socket.receive_json_from(timeout=TIMEOUT)
    await socket.receive_json_from(timeout=TIMEOUT)

    assert await sweep_then_roll_back() == 1
    assert await presence_of(stale_agent) == "online"
    # Frames arrive in order, so if the rolled-back change had been pushed it would come first.
    await sync_to_async(presence.presence_choose)(user=other_agent, tab="other", presence="away")

    assert await socket.receive_json_from(timeout=TIMEOUT) == presence_frame(other_agent, "away")


async def test_socket_idle_longer_than_the_layer_poll_survives(
    login_as: Callable[[str], Login], make_user: Callable[..., User], open_socket: Any
) -> None:
    # Guards the CHANNEL_LAYERS socket timeout: with redis-py 8's default (5 s) and the list-based
    # layer's blocking reads, the consumer died here.
    watcher = await sync_to_async(login_as)("agent")
    other_agent = await sync_to_async(make_user)("agent")
    socket, _ = await open_socket(watcher)
    await socket.receive_json_from(timeout=TIMEOUT)
    await socket.receive_json_from(timeout=TIMEOUT)

    await asyncio.sleep(REDIS_PY_DEFAULT_SOCKET_TIMEOUT + 2)
    await sync_to_async(presence.presence_tab_open)(user=other_agent, tab="other")

    assert await socket.receive_json_from(timeout=TIMEOUT) == presence_frame(other_agent, "online")
