"""Chat test data, built through the services so sequences, receipts and history are real."""

from typing import Any

from django.db import transaction

from chat import services
from chat.models import ChatMessage, Conversation
from chat.workflow import WORKFLOW
from profiles.models import User


def start_chat(customer: User) -> Conversation:
    conversation, _created = services.conversation_start(customer=customer)
    return conversation


def chat_with_agent(customer: User, agent: User) -> Conversation:
    """A conversation handed to a person and taken by `agent`, whoever the router would have picked."""
    conversation = start_chat(customer)
    services.conversation_handoff(conversation_id=conversation.pk, customer=customer)
    conversation.refresh_from_db()
    if conversation.status == Conversation.Status.BOT:
        # Out of hours nothing is queued: this stands for a chat that was waiting from before closing time.
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            WORKFLOW.transition(locked, to=Conversation.Status.WAITING)
    elif conversation.agent_id == agent.pk:
        return conversation
    elif conversation.agent is not None:
        return services.conversation_transfer(conversation_id=conversation.pk, agent=conversation.agent,
                                              to_agent=agent)
    return services.conversation_assign(agent=agent, conversation_id=conversation.pk)


def say(conversation: Conversation, author: User, body: str, **kwargs: Any) -> ChatMessage:
    return services.message_send(conversation_id=conversation.pk, author=author, body=body, **kwargs).message
