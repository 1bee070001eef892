"""`/ws/presence/`: every desk page keeps this socket open; for an agent it is one tab of their presence
(profiles.presence), for other desk users (supervisors) a live view of everyone's."""

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from core.consumers import DirectDispatch, GuardedJsonFrames
from profiles import presence, selectors
from profiles.models import AgentProfile
from profiles.realtime import PRESENCE_GROUP

# Application close codes (4000-4999) mirror HTTP so the workbench knows not to retry blindly.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class PresenceConsumer(DirectDispatch, GuardedJsonFrames):
    """An agent's socket is one open tab: `{"type": "heartbeat", "active": true}` keeps it live (active:
    the agent used this tab since the last beat) and `{"type": "presence", "presence": "busy"}` sets
    their status in every tab. The first frame tells the page whose status it shows
    (`{"type": "self", ...}`); everyone connected hears every change, broadcast by
    `profiles.realtime` once committed. Desk users without an agent profile only listen."""

    user: Any = None
    is_agent = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.is_agent = await database_sync_to_async(selectors.is_agent)(user)
        if not self.is_agent and not await database_sync_to_async(user.has_perm)("profiles.use_desk"):
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.user = user
        await self.accept()
        # Join before the tab counts so this socket also hears its own change confirmed.
        await self.channel_layer.group_add(PRESENCE_GROUP, self.channel_name)
        if not self.is_agent:
            await self.send_json({"type": "self", "user_id": user.pk, "agent": False,
                                  **await self.first_frame_extras()})
            return
        profile = await self._call(presence.presence_tab_open)  # first: the tab counts from the accept on
        await self.send_json({"type": "self", "user_id": user.pk, "agent": True, "presence": profile.presence,
                              "chosen": profile.chosen_presence, **await self.first_frame_extras()})

    async def first_frame_extras(self) -> dict[str, Any]:
        """What the page shell wearing this socket adds to the first frame (desk.consumers: the bell's count)."""
        return {}

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        await self.channel_layer.group_discard(PRESENCE_GROUP, self.channel_name)
        if self.is_agent:
            await self._call(presence.presence_tab_close)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.user is None:
            return  # a refused socket may still deliver frames sent before our close reached it
        await super().receive(text_data, bytes_data, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind in ("heartbeat", "presence") and not self.is_agent:
            await self._send_error("not_agent", _("Only agents have a status."))
        elif kind == "heartbeat":
            await self._call(presence.presence_heartbeat, active=content.get("active") is True)
            await self.send_json({"type": "heartbeat.ack"})
        elif kind == "presence":
            chosen = content.get("presence")
            if not isinstance(chosen, str) or chosen not in AgentProfile.Presence.values:
                await self._send_error(
                    "invalid_presence",
                    _("presence must be one of: %(choices)s")
                    % {"choices": ", ".join(AgentProfile.Presence.values)},
                )
                return
            await self._call(presence.presence_choose, presence=chosen)
        else:
            await self._send_error("unknown_type", _('type must be "heartbeat" or "presence".'))

    async def presence_changed(self, event: dict[str, Any]) -> None:
        frame = {"type": "presence", "user_id": event["user_id"], "presence": event["presence"]}
        if event["user_id"] == self.user.pk:
            frame["chosen"] = event["chosen"]  # only the agent's own tabs learn what they picked
        await self.send_json(frame)

    async def _call(self, write: Callable[..., AgentProfile], **kwargs: Any) -> AgentProfile:
        # The channel name is unique per socket: it is this tab's key.
        return await database_sync_to_async(write)(user=self.user, tab=self.channel_name, **kwargs)

    async def _refuse(self, code: int) -> None:
        # Accept first: a close before the handshake reaches the browser as a bare HTTP 403,
        # and only an accepted socket can carry the application close code.
        await self.accept()
        await self.close(code=code)

    async def _send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
