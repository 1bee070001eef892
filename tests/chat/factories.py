"""Chat test data, built through the services so sequences, receipts and history are real."""

from typing import Any

from chat import services
from chat.models import ChatMessage, Conversation
from profiles.models import User


def start_chat(customer: User) -> Conversation:
    conversation, _created = services.conversation_start(customer=customer)
    return conversation


def chat_with_agent(customer: User, agent: User) -> Conversation:
    """A conversation handed to a person and taken by `agent`."""
    conversation = start_chat(customer)
    services.conversation_handoff(conversation_id=conversation.pk, customer=customer)
    return services.conversation_assign(agent=agent, conversation_id=conversation.pk)


def say(conversation: Conversation, author: User, body: str, **kwargs: Any) -> ChatMessage:
    return services.message_send(conversation_id=conversation.pk, author=author, body=body, **kwargs).message
