"""A staff socket from a session that skipped the second sign-in step is treated as signed out."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiles.consumers import CLOSE_UNAUTHENTICATED
from profiles.models import User
from tests.realtime.conftest import TIMEOUT, Login

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _two_factor_on(settings: Any) -> None:
    settings.STAFF_TWO_FACTOR_REQUIRED = True


async def test_unverified_agent_socket_is_refused(login_as: Callable[[str], Login], open_socket: Any) -> None:
    agent = await sync_to_async(login_as)("agent")
    socket, (accepted, _) = await open_socket(agent)
    assert accepted
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


def _verified_login(user: User) -> Login:
    from django.conf import settings

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    code = f"{totp(device.bin_key):06d}"
    assert client.post("/accounts/2fa/", {"token": code}).status_code == 302
    return Login(user=user, session_cookie=client.cookies[settings.SESSION_COOKIE_NAME].value)


async def test_verified_agent_socket_is_accepted(make_user: Callable[..., User], open_socket: Any) -> None:
    agent = await sync_to_async(make_user)("agent")
    login = await sync_to_async(_verified_login)(agent)
    socket, (accepted, _) = await open_socket(login)
    assert accepted
    first = await socket.receive_json_from(timeout=TIMEOUT)
    assert first["type"] != "websocket.close"
