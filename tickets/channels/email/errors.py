"""Why the mail parser refuses a message: one exception type (and its kinds), each with a reason to show."""


class MalformedEmail(ValueError):
    """The bytes are not a mail we can read; `reason` says why, for the quarantine and the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAMail(MalformedEmail):
    """Not a mail at all (empty, or no header block): the one refusal a sender should see as a 4xx."""


class MailLimitExceeded(MalformedEmail):
    """Reading the mail would cost more than a parse limit allows; `limit` names which one."""

    def __init__(self, limit: str) -> None:
        super().__init__(f"over the {limit} limit")
        self.limit = limit

    def __reduce__(self) -> tuple[type["MailLimitExceeded"], tuple[str]]:
        # Rebuilt from the limit, not the message: a parse run in a child process hands its refusal back pickled.
        return (type(self), (self.limit,))
