"""`/ws/presence/` as the desk shell's one socket: the agent's status (profiles.consumers) and the bell.

The first frame carries the unread count (`"unread"`); after that a `{"type": "notifications", "unread": n}`
frame follows every change (tickets.realtime pushes a hint after commit; this socket recounts, so hints
arriving out of order still end on the right number). A reconnect gets a fresh first frame: nothing to resume.
"""

from typing import Any

from channels.db import database_sync_to_async

from profiles.consumers import PresenceConsumer
from tickets import selectors as ticket_selectors
from tickets.realtime import notifications_group


class DeskShellConsumer(PresenceConsumer):
    async def first_frame_extras(self) -> dict[str, Any]:
        # Join before counting: a notification written in between is then heard, not lost.
        await self.channel_layer.group_add(notifications_group(self.user.pk), self.channel_name)
        return {"unread": await self._unread()}

    async def disconnect(self, code: int) -> None:
        if self.user is not None:
            await self.channel_layer.group_discard(notifications_group(self.user.pk), self.channel_name)
        await super().disconnect(code)

    async def notifications_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "notifications", "unread": await self._unread()})

    async def _unread(self) -> int:
        return await database_sync_to_async(ticket_selectors.unread_notification_count)(self.user.pk)
