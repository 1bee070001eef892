"""`/ws/presence/`: an agent's workbench keeps this socket open; it drives their presence."""

from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from profiles import selectors, services
from profiles.models import AgentProfile
from profiles.realtime import PRESENCE_GROUP
from service_center.core.consumers import DirectDispatch, GuardedJsonFrames

# Application close codes (4000-4999) mirror HTTP so the workbench knows not to retry blindly.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class PresenceConsumer(DirectDispatch, GuardedJsonFrames):
    """Online on connect, offline on disconnect; `{"type": "presence", "presence": "away"}` to
    change it, `{"type": "heartbeat"}` to stay fresh. Everyone connected hears every change,
    broadcast by `profiles.realtime` once the change is committed."""

    agent: Any = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(selectors.is_agent)(user):
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.agent = user
        await self.accept()
        # Join before going online so this socket also hears its own change confirmed.
        await self.channel_layer.group_add(PRESENCE_GROUP, self.channel_name)
        await self._set_presence(AgentProfile.Presence.ONLINE)

    async def disconnect(self, code: int) -> None:
        if self.agent is None:
            return
        await self.channel_layer.group_discard(PRESENCE_GROUP, self.channel_name)
        await self._set_presence(AgentProfile.Presence.OFFLINE)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.agent is None:
            return  # a refused socket may still deliver frames sent before our close reached it
        await super().receive(text_data, bytes_data, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "heartbeat":
            await database_sync_to_async(services.agent_heartbeat)(user=self.agent)
            await self.send_json({"type": "heartbeat.ack"})
        elif kind == "presence":
            presence = content.get("presence")
            if not isinstance(presence, str) or presence not in AgentProfile.Presence.values:
                await self._send_error(
                    "invalid_presence",
                    _("presence must be one of: %(choices)s")
                    % {"choices": ", ".join(AgentProfile.Presence.values)},
                )
                return
            await self._set_presence(presence)
        else:
            await self._send_error("unknown_type", _('type must be "heartbeat" or "presence".'))

    async def presence_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "presence", "user_id": event["user_id"], "presence": event["presence"]})

    async def _set_presence(self, presence: str) -> None:
        await database_sync_to_async(services.agent_set_presence)(user=self.agent, presence=presence)

    async def _refuse(self, code: int) -> None:
        # Accept first: a close before the handshake reaches the browser as a bare HTTP 403,
        # and only an accepted socket can carry the application close code.
        await self.accept()
        await self.close(code=code)

    async def _send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
