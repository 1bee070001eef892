"""The assistant that greets a new conversation and decides when a person must take over.

Answers from the knowledge base come with the knowledge app's `answer_question`; until it exists
every question counts as unanswered, and the customer is offered a person (and handed over after
`CHAT_BOT_MAX_MISSES` of them).
"""

import re

from django.utils.translation import gettext as _

# Words that ask for a person outright, or say the customer is unhappy enough to need one.
HANDOFF_KEYWORDS = ("人工", "投诉", "human", "complain")
ANGRY_PATTERN = re.compile(r"(垃圾|骗子|太差|气死|差评|什么破|[!\uff01]{3})")


def wants_human(text: str) -> str | None:
    """The handoff reason the text gives ("keyword", "angry"), or None."""
    lowered = text.lower()
    if any(keyword in lowered for keyword in HANDOFF_KEYWORDS):
        return "keyword"
    if ANGRY_PATTERN.search(text):
        return "angry"
    return None


def greeting() -> str:
    return _("Hello, I am the Service Center assistant. Tell me what you need, or press “Talk to a person”.")


def cannot_answer() -> str:
    return _("Sorry, I cannot answer that yet. Press “Talk to a person” and an agent will help you.")


def handing_over() -> str:
    return _("Let me find an agent for you.")
