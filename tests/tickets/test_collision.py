"""Collision detection: who else has a ticket open and who types (over the desk socket, Redis with TTLs),
and a reply held with the newer message when the page had not seen it (server-side, 409)."""

import copy
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from profiles.models import User
from service_center.asgi import application
from tests.factories import TeamFactory
from tests.tickets.test_live_tickets import TIMEOUT, cookie_for, ready
from tickets import collision, services
from tickets.errors import NewerMessage
from tickets.models import Ticket, TicketMessage

QUIET = 0.3


@pytest.fixture
def _fresh_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = copy.deepcopy(settings.CHANNEL_LAYERS)


@pytest_asyncio.fixture
async def desk_socket(_fresh_layer: None) -> AsyncIterator[Callable[..., Any]]:
    opened: list[WebsocketCommunicator] = []

    async def open_(user: User) -> WebsocketCommunicator:
        headers = [(b"origin", b"http://testserver"), (b"cookie", (await sync_to_async(cookie_for)(user)).encode())]
        socket = WebsocketCommunicator(application, "/ws/desk/tickets/", headers=headers)
        opened.append(socket)
        await socket.connect(timeout=TIMEOUT)
        await ready(socket)
        return socket

    yield open_
    for socket in opened:
        await socket.disconnect(timeout=TIMEOUT)


async def frames(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Every frame until the socket has been quiet for a moment (ticket events left out)."""
    seen = []
    while not await socket.receive_nothing(timeout=QUIET):
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] != "ticket.event":
            seen.append(frame)
    return seen


def names(frame: dict[str, Any], kind: str) -> list[str]:
    return [person["name"] for person in frame.get(kind, [])]


async def until(socket: WebsocketCommunicator, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first frame (ticket events aside) that is `wanted`, however slowly it comes on a loaded machine;
    a state the socket never reaches fails on the timeout."""
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] != "ticket.event" and wanted(frame):
            return frame


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_agents_see_each_other_view_and_type_and_outsiders_cannot_join(
    make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], desk_socket: Any,
) -> None:
    ticket = await sync_to_async(make_ticket)()
    li = await sync_to_async(make_agent)(user__display_name="李娜")
    wang = await sync_to_async(make_agent)(user__display_name="王芳")
    outsider = await sync_to_async(make_agent)(teams=[await sync_to_async(TeamFactory.create)(name="发票组")])
    a, b, c = [await desk_socket(user) for user in (li, wang, outsider)]

    await a.send_json_to({"type": "watch", "ticket_id": ticket.pk})
    state = await until(a, lambda frame: frame["type"] == "ticket.collab")
    assert names(state, "viewers") == [str(li)] and state["typing"] == []
    await b.send_json_to({"type": "watch", "ticket_id": ticket.pk})
    both = [str(li), str(wang)]
    await until(a, lambda frame: names(frame, "viewers") == both)
    await until(b, lambda frame: names(frame, "viewers") == both)

    await b.send_json_to({"type": "typing"})
    await until(a, lambda frame: names(frame, "typing") == [str(wang)])
    await b.send_json_to({"type": "stop_typing"})
    await until(a, lambda frame: frame["typing"] == [])

    # An agent who cannot see the ticket is refused, never joins its group, and hears nothing of it.
    await c.send_json_to({"type": "watch", "ticket_id": ticket.pk})
    await until(c, lambda frame: frame.get("code") == "not_found")
    await c.send_json_to({"type": "typing"})
    await a.send_json_to({"type": "typing"})
    await until(b, lambda frame: names(frame, "typing") == [str(li)] and names(frame, "viewers") == both)
    assert await frames(c) == []

    # Leaving (closing the page) takes the agent off at once; a bad frame is refused with its code.
    await b.disconnect(timeout=TIMEOUT)
    await until(a, lambda frame: frame["type"] == "ticket.collab" and names(frame, "viewers") == [str(li)])
    await a.send_json_to({"type": "watch", "ticket_id": "1"})
    await until(a, lambda frame: frame.get("code") == "invalid_frame")


@pytest.mark.django_db
def test_entries_expire_by_ttl_without_database_writes(django_assert_num_queries: Any) -> None:
    now = time.time()
    who: dict[str, Any] = {"ticket_id": 987654321, "user_id": 1, "name": "李娜"}
    with django_assert_num_queries(0):
        state = collision.mark(channel="c1", kind="typing", now=now, **who)
        assert names(state, "viewers") == names(state, "typing") == ["李娜"]
        # Two tabs of one agent show once.
        state = collision.mark(channel="c2", kind="viewing", now=now, **who)
        assert names(state, "viewers") == ["李娜"]
        later = collision.mark(channel="c2", kind="viewing", now=now + collision.TYPING_TTL_SECONDS + 1, **who)
        assert later["typing"] == [] and names(later, "viewers") == ["李娜"]
        gone = collision.forget(channel="c2", now=now + collision.VIEWING_TTL_SECONDS + 1, **who)
        assert gone["viewers"] == []


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _seen(html: str) -> str:
    found = re.search(r'name="seen_message" value="(\d+)"', html)
    assert found
    return found.group(1)


@pytest.mark.django_db
def test_a_stale_reply_is_held_with_the_newer_message_and_sent_on_confirm(
    make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], customer: User,
) -> None:
    ticket = make_ticket()
    agent = make_agent()
    client = _login(agent)
    seen = _seen(client.get(f"/desk/tickets/{ticket.pk}/").content.decode())
    services.ticket_reply(ticket=ticket, author=customer, body="地址写错了，请改成北京市朝阳区")  # noqa: RUF001
    draft = {"kind": "reply", "body": "好的，马上为您发货。", "seen_message": seen}  # noqa: RUF001
    held = client.post(f"/desk/tickets/{ticket.pk}/reply/", draft)
    assert held.status_code == 409
    html = held.content.decode()
    assert 'id="newer-messages"' in html and "地址写错了" in html.split('id="newer-messages"')[1].split("</div>")[0]
    # The refusal is said once (the newer-messages block), not again as a form error above it.
    reply_form = html.split('id="reply-form"')[1].split("</form>")[0]
    assert reply_form.count('role="alert"') == 1 and 'class="errorlist"' not in reply_form
    assert "好的，马上为您发货。" in html  # the draft is kept  # noqa: RUF001
    assert not TicketMessage.objects.filter(body=draft["body"]).exists()
    # Sending again from the held page (its seen message moved on) is the confirmation.
    confirmed = client.post(f"/desk/tickets/{ticket.pk}/reply/", {**draft, "seen_message": _seen(html)})
    assert confirmed.status_code == 302
    assert TicketMessage.objects.filter(body=draft["body"]).count() == 1


@pytest.mark.django_db
def test_own_messages_notes_and_callers_without_a_seen_id_are_not_held(
    make_agent: Callable[..., User], make_ticket: Callable[..., Ticket],
) -> None:
    ticket = make_ticket()
    agent, colleague = make_agent(), make_agent()
    seen = ticket.messages.latest("pk").pk
    services.ticket_add_note(ticket=ticket, author=colleague, body="内部备注")
    services.ticket_reply(ticket=ticket, author=agent, body="第一条", seen_message_id=seen)
    services.ticket_reply(ticket=ticket, author=agent, body="第二条", seen_message_id=seen)
    services.ticket_reply(ticket=ticket, author=colleague, body="同事的回复")
    with pytest.raises(NewerMessage) as held:
        services.ticket_reply(ticket=ticket, author=agent, body="第三条", seen_message_id=seen)
    assert [message.body for message in held.value.messages] == ["同事的回复"]
    services.ticket_reply(ticket=ticket, author=agent, body="第三条")  # the API and older pages: no check
    note = _login(agent).post(f"/desk/tickets/{ticket.pk}/reply/",
                              {"kind": "note", "body": "备注", "seen_message": seen})
    assert note.status_code == 302
