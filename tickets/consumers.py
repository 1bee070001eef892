"""WebSockets of the tickets pages: `/ws/desk/tickets/` (desk) and `/ws/my-tickets/<id>/` (the customer).

The server pushes `{"type": "ticket.event", ...}` and the page re-fetches what changed. The customer's
socket only listens; the desk's also says which ticket its page shows and when the agent types a reply
(`watch`, `typing`, `stop_typing`, `unwatch`), and hears `ticket.collab` with who else views and types
there (tickets.collision). Access is decided by `tickets.selectors`; the consumers never touch the ORM
themselves.
"""

import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.http import Http404
from django.utils.translation import gettext

from core.consumers import DirectDispatch, GuardedJsonFrames
from tickets import collision, realtime, selectors

# Application close codes mirror HTTP, so the page knows not to retry (as profiles.consumers).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def desk_groups_for(user: Any) -> list[str] | None:
    """The groups a desk user's socket joins, or None when the user may not use the desk."""
    if not user.has_perm("profiles.use_desk"):
        return None
    groups = [realtime.agent_group(user.pk), *(realtime.team_group(pk) for pk in selectors.team_ids_for(user))]
    if selectors.sees_all_tickets(user):
        groups.append(realtime.ALL_GROUP)
    return groups


def customer_group_for(user: Any, ticket_id: int) -> str | None:
    """The ticket's customer group if `user` is that ticket's customer."""
    try:
        ticket = selectors.ticket_for_user(user, ticket_id)
    except Http404:
        return None
    return realtime.customer_group(ticket.pk) if ticket.customer_id == user.pk else None


class _ListeningConsumer(DirectDispatch, GuardedJsonFrames):
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        groups = await database_sync_to_async(self.groups_for)(user)
        if not groups:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        await self.accept()
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await self.send_json({"type": "ready"})

    def groups_for(self, user: Any) -> list[str] | None:
        raise NotImplementedError

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Nothing to say to the server: writes go through the pages and the API.
        await self.send_json({"type": "error", "code": "read_only", "message": "This socket only listens."})

    async def ticket_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def _refuse(self, code: int) -> None:
        # Accept first: only an accepted socket can carry the application close code.
        await self.accept()
        await self.close(code=code)


def may_watch(user: Any, ticket_id: int) -> bool:
    """Whether a desk user may join a ticket's viewers group: only when the ticket is in their sight."""
    try:
        selectors.ticket_for_user(user, ticket_id)
    except Http404:
        return False
    return True


class DeskTicketsConsumer(_ListeningConsumer):
    """The desk's socket; on a ticket page it also reports viewing and typing (collision detection)."""

    watching: int | None = None

    def groups_for(self, user: Any) -> list[str] | None:
        return desk_groups_for(user)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "watch":
            await self._watch(content.get("ticket_id"))
        elif kind in ("typing", "stop_typing", "unwatch"):
            if self.watching is not None:
                await self._change(kind)
        else:
            await self.send_json({"type": "error", "code": "unknown_type",
                                  "message": gettext("A socket frame of an unknown type.")})

    async def _watch(self, ticket_id: Any) -> None:
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            await self.send_json({"type": "error", "code": "invalid_frame", "message": "ticket_id: an integer"})
            return
        if ticket_id != self.watching:
            if not await database_sync_to_async(may_watch)(self.scope["user"], ticket_id):
                await self.send_json({"type": "error", "code": "not_found",
                                      "message": gettext("No such object, or it is not yours to see.")})
                return
            if self.watching is not None:
                await self._change("unwatch")
            self.watching = ticket_id
            await self.channel_layer.group_add(collision.viewers_group(ticket_id), self.channel_name)
        await self._change("viewing")

    async def _change(self, kind: str) -> None:
        ticket_id = self.watching
        assert ticket_id is not None
        user = self.scope["user"]
        who = {"ticket_id": ticket_id, "channel": self.channel_name, "user_id": user.pk, "name": str(user),
               "now": time.time()}
        if kind in ("viewing", "typing"):
            state = await sync_to_async(collision.mark, thread_sensitive=False)(kind=kind, **who)
        else:
            kinds = ("typing",) if kind == "stop_typing" else collision.KINDS
            state = await sync_to_async(collision.forget, thread_sensitive=False)(kinds=kinds, **who)
        await self.channel_layer.group_send(collision.viewers_group(ticket_id), state)
        if kind == "unwatch":
            await self.channel_layer.group_discard(collision.viewers_group(ticket_id), self.channel_name)
            self.watching = None

    async def disconnect(self, code: int) -> None:
        if self.watching is not None:
            await self._change("unwatch")
        await super().disconnect(code)

    async def ticket_collab(self, event: dict[str, Any]) -> None:
        await self.send_json(event)


class CustomerTicketConsumer(_ListeningConsumer):
    def groups_for(self, user: Any) -> list[str] | None:
        group = customer_group_for(user, int(self.scope["url_route"]["kwargs"]["ticket_id"]))
        return [group] if group else None
