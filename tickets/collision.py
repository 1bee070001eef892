"""Collision detection on the desk's ticket page: who else has a ticket open, and who is typing a reply.

Nothing here touches the database. Each desk socket that watches a ticket is a member of two Redis sorted
sets per ticket, scored by when the entry runs out: `viewing` (renewed by the page's heartbeat) and `typing`
(renewed by the page's throttled keystroke frames). A socket that dies without closing simply expires.
After each change the ticket's viewers group hears the whole current state, so a page never has to
reconcile partial updates. Access is checked by the consumer (through `tickets.selectors`) before a
socket may join a ticket's group.
"""

import json
from typing import Any

from django.core.cache import cache

from core.redis_cache import shared_client

VIEWING_TTL_SECONDS = 45  # the page renews every 20 s (static/tickets/collision.js)
TYPING_TTL_SECONDS = 6  # the page sends at most one typing frame per 2.5 s while keys are pressed
KINDS = ("viewing", "typing")


def viewers_group(ticket_id: int) -> str:
    return f"tickets.viewers.{ticket_id}"


def _key(ticket_id: int, kind: str) -> str:
    return cache.make_key(f"collab:{ticket_id}:{kind}")


def _member(channel: str, user_id: int, name: str) -> str:
    return json.dumps([channel, user_id, name], ensure_ascii=False)


def _people(members: list[bytes]) -> list[dict[str, Any]]:
    """One entry per person (two tabs of one agent show once), in a stable order."""
    people: dict[int, str] = {}
    for raw in members:
        _, user_id, name = json.loads(raw)
        people.setdefault(user_id, name)
    return [{"id": user_id, "name": name} for user_id, name in sorted(people.items())]


def _state(pipe: Any, ticket_id: int, now: float) -> None:
    for kind in KINDS:
        pipe.zremrangebyscore(_key(ticket_id, kind), "-inf", now)
        pipe.zrange(_key(ticket_id, kind), 0, -1)


def _read(ticket_id: int, results: list[Any]) -> dict[str, Any]:
    viewing, typing = results[-3], results[-1]
    return {"type": "ticket.collab", "ticket_id": ticket_id, "viewers": _people(viewing), "typing": _people(typing)}


def mark(*, ticket_id: int, channel: str, user_id: int, name: str, kind: str, now: float) -> dict[str, Any]:
    """Record that a socket views (or types on) a ticket, and return the ticket's state to broadcast."""
    ttl = VIEWING_TTL_SECONDS if kind == "viewing" else TYPING_TTL_SECONDS
    pipe = shared_client().pipeline()
    member = _member(channel, user_id, name)
    pipe.zadd(_key(ticket_id, kind), {member: now + ttl})
    if kind == "typing":  # typing implies viewing
        pipe.zadd(_key(ticket_id, "viewing"), {member: now + VIEWING_TTL_SECONDS})
    for each in KINDS:
        pipe.expire(_key(ticket_id, each), VIEWING_TTL_SECONDS * 2)
    _state(pipe, ticket_id, now)
    return _read(ticket_id, pipe.execute())


def forget(*, ticket_id: int, channel: str, user_id: int, name: str, kinds: tuple[str, ...] = KINDS,
           now: float) -> dict[str, Any]:
    """A socket left the ticket (or stopped typing: kinds=("typing",)); returns the state to broadcast."""
    pipe = shared_client().pipeline()
    for kind in kinds:
        pipe.zrem(_key(ticket_id, kind), _member(channel, user_id, name))
    _state(pipe, ticket_id, now)
    return _read(ticket_id, pipe.execute())
