"""The lifecycle of a conversation as a table for the core workflow engine (core/workflow.py).

bot → waiting (handed to a person; back to bot when the service hours end first) → active (an agent took
it; a transfer stays active) → ended; the caller holds the conversation locked (select_for_update), and each
move stamps its time.
"""

from django.utils.translation import gettext_lazy as _

from chat.models import Conversation
from core.workflow import Refusal, Step, Workflow, move

Status = Conversation.Status


def _waiting_since(conversation: Conversation, step: Step) -> None:
    conversation.waiting_since = step.now


def _assigned_at(conversation: Conversation, step: Step) -> None:
    conversation.assigned_at = step.now


def _ended_at(conversation: Conversation, step: Step) -> None:
    conversation.ended_at = step.now


TRANSITIONS = (
    move(Status.BOT, Status.WAITING, "handoff", effects=(_waiting_since,)),
    # The service hours ended before an agent was free: back to the assistant and its leave-a-message offer.
    move(Status.WAITING, Status.BOT, "closed"),
    move({Status.WAITING, Status.ACTIVE}, Status.ACTIVE, "assign", effects=(_assigned_at,)),
    move({Status.BOT, Status.WAITING, Status.ACTIVE}, Status.ENDED, "end", effects=(_ended_at,)),
)


def _refused(conversation: Conversation, target: str) -> Refusal:
    status = conversation.status
    label = Status(status).label if status in Status.values else status
    return Refusal(str(_("Not possible while the conversation is “%(status)s”.") % {"status": label}))


WORKFLOW: Workflow[Conversation] = Workflow(transitions=TRANSITIONS, refused=_refused)
