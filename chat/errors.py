"""One application error for chat: a stable code for clients and a translated message for people."""

from typing import Any


class ChatError(Exception):
    def __init__(self, code: str, message: Any, **extra: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.extra = extra

    def as_frame(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message, **self.extra}
