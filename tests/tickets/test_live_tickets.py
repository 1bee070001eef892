"""Live ticket pushes through the whole ASGI stack: who may connect, and who hears which event."""

import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from profiles.models import Team, User
from service_center.asgi import application
from tests.factories import TeamFactory
from tickets import services
from tickets.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tickets.models import Ticket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
TIMEOUT = 15
QUIET = 0.3


@pytest.fixture(autouse=True)
def _channel_layer_per_test(settings: Any) -> None:
    # A fresh channel layer per test: its locks bind to the first event loop (see tests/realtime).
    settings.CHANNEL_LAYERS = copy.deepcopy(settings.CHANNEL_LAYERS)


def cookie_for(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest_asyncio.fixture
async def open_socket() -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketCommunicator] = []

    async def open_(path: str, user: User | None) -> tuple[WebsocketCommunicator, Any]:
        headers = [(b"origin", b"http://testserver")]
        if user is not None:
            headers.append((b"cookie", (await sync_to_async(cookie_for)(user)).encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        connected = await communicator.connect(timeout=TIMEOUT)
        return communicator, connected

    yield open_
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


async def ready(socket: WebsocketCommunicator) -> None:
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "ready"}


async def events_of(socket: WebsocketCommunicator) -> list[str]:
    """Every event that arrives until the socket has been quiet for a moment."""
    names = []
    # receive_nothing peeks without cancelling the application (a timed-out receive would kill it).
    while not await socket.receive_nothing(timeout=QUIET):
        names.append((await socket.receive_json_from(timeout=TIMEOUT))["event"])
    return names


async def refused_with(socket: WebsocketCommunicator) -> int:
    closed = await socket.receive_output(timeout=TIMEOUT)
    assert closed["type"] == "websocket.close"
    return int(closed["code"])


async def test_desk_socket_only_for_the_desk(make_user: Callable[..., User], open_socket: Any) -> None:
    # One test for every refusal: each transactional test pays a database flush.
    for role, code in ((None, CLOSE_UNAUTHENTICATED), ("customer", CLOSE_FORBIDDEN),
                       ("merchant_staff", CLOSE_FORBIDDEN)):
        user = await sync_to_async(make_user)(role) if role else None
        socket, _connected = await open_socket("/ws/desk/tickets/", user)
        assert await refused_with(socket) == code


async def test_team_agents_hear_new_tickets_and_replies_other_teams_do_not(
    make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], customer: User,
    make_user: Callable[..., User], open_socket: Any,
) -> None:
    agent = await sync_to_async(make_agent)(online=False)
    outsider = await sync_to_async(make_agent)(teams=[await sync_to_async(TeamFactory.create)(name="发票组")])
    supervisor = await sync_to_async(make_user)("supervisor")
    sockets = {}
    for name, user in (("agent", agent), ("outsider", outsider), ("supervisor", supervisor)):
        sockets[name], _ = await open_socket("/ws/desk/tickets/", user)
        await ready(sockets[name])

    ticket = await sync_to_async(make_ticket)()
    assert await events_of(sockets["agent"]) == ["ticket.created"]
    assert await events_of(sockets["supervisor"]) == ["ticket.created"]
    await sync_to_async(services.ticket_reply)(ticket=ticket, author=customer, body="还没发货吗？")  # noqa: RUF001
    assert await events_of(sockets["agent"]) == ["ticket.replied"]
    assert await events_of(sockets["outsider"]) == []
    # Writes go through the pages and the API; the desk socket only takes collision frames (test_collision.py).
    await sockets["agent"].send_json_to({"type": "reply", "body": "hi"})
    assert (await sockets["agent"].receive_json_from(timeout=TIMEOUT))["code"] == "unknown_type"


async def test_customer_page_hears_replies_but_not_notes(
    make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], customer: User,
    make_user: Callable[..., User], open_socket: Any, team: Team,
) -> None:
    ticket = await sync_to_async(make_ticket)()
    agent = await sync_to_async(make_agent)()
    stranger = await sync_to_async(make_user)("customer")
    intruder, _ = await open_socket(f"/ws/my-tickets/{ticket.pk}/", stranger)
    assert await refused_with(intruder) == CLOSE_FORBIDDEN
    agent_socket, _ = await open_socket(f"/ws/my-tickets/{ticket.pk}/", agent)
    assert await refused_with(agent_socket) == CLOSE_FORBIDDEN

    mine, _ = await open_socket(f"/ws/my-tickets/{ticket.pk}/", customer)
    await ready(mine)
    await sync_to_async(services.ticket_add_note)(ticket=ticket, author=agent, body="内部备注")
    assert await events_of(mine) == []
    await sync_to_async(services.ticket_reply)(ticket=ticket, author=agent, body="您好，已发货。")  # noqa: RUF001
    frames = await events_of(mine)
    assert "ticket.replied" in frames and "ticket.note_added" not in frames
