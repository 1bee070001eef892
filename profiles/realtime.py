"""Live pushes for people: every presence change reaches every connected workbench.

The push hangs off the `agent.presence_changed` domain event rather than the consumer, so a
change made anywhere (the socket, the stale-presence sweep in a Celery worker, an admin action)
is broadcast, and only once it is committed.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core import events
from profiles.presence import PRESENCE_CHANGED_EVENT

PRESENCE_GROUP = "presence"


def broadcast_presence_changed(event: events.DomainEvent) -> None:
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    async_to_sync(channel_layer.group_send)(
        PRESENCE_GROUP,
        {"type": "presence.changed", "user_id": event.payload["user_id"], "presence": event.payload["presence"],
         "chosen": event.payload["chosen"]},
    )


# Subscribed on import: profiles' AppConfig.ready() imports this module in every process.
events.subscribe(PRESENCE_CHANGED_EVENT, broadcast_presence_changed)
