"""Helpers for the realtime tests: logged-in session cookies and presence sockets."""

import copy
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from profiles.models import AgentProfile, PresenceTab, User
from service_center.asgi import application

# Generous: a 2-core machine shared with other test runs can stall for seconds.
TIMEOUT = 15
PRESENCE_PATH = "/ws/presence/"
ALLOWED_ORIGIN = "http://testserver"


@pytest.fixture(autouse=True)
def _channel_layer_per_test(settings: Any) -> None:
    # Each async test runs its own event loop, and channels-redis keeps per-loop state (a lock, a
    # subscriber task) that a closed loop can leave behind.
    # Re-setting CHANNEL_LAYERS makes channels build a fresh layer now and again after the test.
    settings.CHANNEL_LAYERS = copy.deepcopy(settings.CHANNEL_LAYERS)


@dataclass(frozen=True)
class Login:
    user: User
    session_cookie: str

    @property
    def cookie_header(self) -> str:
        return f"{settings.SESSION_COOKIE_NAME}={self.session_cookie}"


@pytest.fixture
def login_as(make_user: Callable[..., User]) -> Callable[[str], Login]:
    """A new user of `role` with a real session in the database, as a browser would hold it."""

    def login(role: str) -> Login:
        user = make_user(role)
        client = Client()
        client.force_login(user)
        return Login(user=user, session_cookie=client.cookies[settings.SESSION_COOKIE_NAME].value)

    return login


@pytest_asyncio.fixture
async def open_socket() -> AsyncIterator[Callable[..., Any]]:
    """Open `/ws/presence/` through the full ASGI stack (origin check, cookie session auth)."""
    opened: list[WebsocketCommunicator] = []

    async def open_(login: Login | None = None, origin: str = ALLOWED_ORIGIN) -> tuple[WebsocketCommunicator, Any]:
        headers = [(b"origin", origin.encode())]
        if login is not None:
            headers.append((b"cookie", login.cookie_header.encode()))
        communicator = WebsocketCommunicator(application, PRESENCE_PATH, headers=headers)
        opened.append(communicator)
        return communicator, await communicator.connect(timeout=TIMEOUT)

    yield open_
    for communicator in opened:
        # Runs the consumer's disconnect (a DB write) before the test database is flushed.
        await communicator.disconnect(timeout=TIMEOUT)


def presence_frame(user: User, presence: str, chosen: str | None = None) -> dict[str, Any]:
    """A pushed change; `chosen` is included only in the agent's own sockets."""
    frame: dict[str, Any] = {"type": "presence", "user_id": user.pk, "presence": presence}
    if chosen is not None:
        frame["chosen"] = chosen
    return frame


def self_frame(user: User, presence: str = "online", chosen: str = "online") -> dict[str, Any]:
    """The first frame an agent's socket gets: whose status the page shows."""
    return {"type": "self", "user_id": user.pk, "agent": True, "presence": presence, "chosen": chosen, "unread": 0}


def make_online(user: User, *, seen_seconds_ago: float) -> None:
    """Put an agent online with one tab whose last heartbeat is this old (test setup, no event)."""
    seen = timezone.now() - timedelta(seconds=seen_seconds_ago)
    profile = AgentProfile.objects.get(user=user)
    AgentProfile.objects.filter(pk=profile.pk).update(
        presence=AgentProfile.Presence.ONLINE, chosen_presence=AgentProfile.Presence.ONLINE, last_seen_at=seen,
        last_active_at=seen,
    )
    PresenceTab.objects.create(agent=profile, key=f"test-tab-{user.pk}",
                               expires_at=seen + timedelta(seconds=settings.PRESENCE_STALE_AFTER_SECONDS))
