"""The lifecycle of a conversation: states and allowed transitions as data, applied in one place."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation

Status = Conversation.Status

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "handoff": (frozenset({Status.BOT}), Status.WAITING),
    "assign": (frozenset({Status.WAITING, Status.ACTIVE}), Status.ACTIVE),
    "end": (frozenset({Status.BOT, Status.WAITING, Status.ACTIVE}), Status.ENDED),
}


class InvalidTransition(Exception):
    def __init__(self, action: str, status: str) -> None:
        label = Status(status).label if status in Status.values else status
        super().__init__(_("Not possible while the conversation is “%(status)s”.") % {"status": label})
        self.action = action
        self.status = status


def apply_transition(conversation: Conversation, action: str) -> Conversation:
    """Move a conversation the caller holds locked (select_for_update) and save it; history records it."""
    if action not in TRANSITIONS:
        raise InvalidTransition(action, conversation.status)
    sources, target = TRANSITIONS[action]
    if conversation.status not in sources:
        raise InvalidTransition(action, conversation.status)
    now = timezone.now()
    conversation.status = target
    if action == "handoff":
        conversation.waiting_since = now
    elif action == "assign":
        conversation.assigned_at = now
    elif action == "end":
        conversation.ended_at = now
    conversation.save()
    return conversation
