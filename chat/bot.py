"""The assistant that greets a new conversation, answers order and refund questions from the customer's
own records (chat/order_questions.py) and the rest from the knowledge base, and decides when
a person must take over (asked for, angry wording, or `CHAT_BOT_MAX_MISSES` questions it could not
answer with confidence; those are logged by the knowledge app for FAQ drafts)."""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from chat import order_questions
from knowledge.bot import answer_question
from knowledge.models import Article
from profiles.models import User


@dataclass(frozen=True)
class BotAnswer:
    text: str
    confidence: float


def answer(question: str, customer: User) -> BotAnswer | None:
    """An answer from the customer's own orders and requests when the question is about them, else a
    knowledge-base answer the assistant is confident in, as plain text with the article's link."""
    from_records = order_questions.answer(question, customer.pk)
    if from_records is not None:
        return BotAnswer(text=from_records.text, confidence=from_records.confidence)
    found = answer_question(question, customer)
    if not found.confident or found.article is None:
        return None
    snippet = strip_tags(str(found.snippet)).strip()
    url = reverse("help:article", args=[found.article.slug])
    lines = [found.article.title, snippet, _("Read more: %(url)s") % {"url": url}]
    return BotAnswer(text="\n".join(line for line in lines if line), confidence=found.confidence)

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


def suggestions(question: str) -> list[Article]:
    """Articles an agent may want beside the customer's last question (not logged as unanswered)."""
    found = answer_question(question, log=False)
    return [found.article, *found.alternatives] if found.article is not None else []
