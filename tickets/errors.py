"""The tickets app's application errors: a stable code per refusal, mapped once to the API's shape."""

from typing import Any

from rest_framework import status

from core.api import ApplicationError


class TicketError(ApplicationError):
    def __init__(self, message: Any, *, code: str, field: str = "", status_code: int = status.HTTP_400_BAD_REQUEST,
                 ) -> None:
        super().__init__(str(message), code=code, fields={field: [str(message)]} if field else None,
                         status_code=status_code)


class AgentUnavailable(TicketError):
    """The agent is offline or at capacity; a supervisor may force the assignment."""

    def __init__(self, message: Any) -> None:
        super().__init__(message, code="agent_unavailable", field="assignee", status_code=status.HTTP_409_CONFLICT)


class TicketTaken(TicketError):
    def __init__(self, message: Any) -> None:
        super().__init__(message, code="ticket_taken", status_code=status.HTTP_409_CONFLICT)


class NewerMessage(TicketError):
    """A desk reply written against a page that has not seen the latest public message (collision detection):
    `messages` are the newer ones, for the page to show before the agent confirms."""

    def __init__(self, message: Any, *, messages: list[Any]) -> None:
        super().__init__(message, code="newer_message", status_code=status.HTTP_409_CONFLICT)
        self.messages = messages


class NotAllowed(TicketError):
    def __init__(self, message: Any) -> None:
        super().__init__(message, code="permission_denied", status_code=status.HTTP_403_FORBIDDEN)


class ChannelRefused(Exception):
    """A channel's inbound request refused: not from the provider (403) or not a message we can read (400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
