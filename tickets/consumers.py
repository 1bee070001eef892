"""WebSockets of the tickets pages: `/ws/desk/tickets/` (desk) and `/ws/my-tickets/<id>/` (the customer).

Both only listen: the server pushes `{"type": "ticket.event", ...}` and the page re-fetches what
changed. Access is decided by `tickets.selectors`; the consumers never touch the ORM themselves.
"""

from typing import Any

from channels.db import database_sync_to_async
from django.http import Http404

from core.consumers import DirectDispatch, GuardedJsonFrames
from tickets import realtime, selectors

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


class DeskTicketsConsumer(_ListeningConsumer):
    def groups_for(self, user: Any) -> list[str] | None:
        return desk_groups_for(user)


class CustomerTicketConsumer(_ListeningConsumer):
    def groups_for(self, user: Any) -> list[str] | None:
        group = customer_group_for(user, int(self.scope["url_route"]["kwargs"]["ticket_id"]))
        return [group] if group else None
