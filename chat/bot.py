"""The assistant that greets a new conversation, answers order and refund questions from the customer's
own records (chat/order_questions.py) and the rest from the knowledge base, and decides when
a person must take over (asked for, angry wording, or `CHAT_BOT_MAX_MISSES` questions it could not
answer with confidence; those are logged by the knowledge app for FAQ drafts)."""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils import translation
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
    knowledge-base answer the assistant is confident in, as plain text with the article's link.

    Written in the active language (the caller activates the customer's UI language): in English the
    article's English text when it has one, else a line saying the answer exists only in Chinese,
    with its link and the offer of a person."""
    from_records = order_questions.answer(question, customer.pk)
    if from_records is not None:
        return BotAnswer(text=from_records.text, confidence=from_records.confidence)
    found = answer_question(question, customer)
    if not found.confident or found.article is None:
        return None
    article = found.article
    url = reverse("help:article", args=[article.slug])
    if _reads_english() and not article.body_en:
        lines = [_("I found an answer, but it is only available in Chinese: “%(title)s” %(url)s")
                 % {"title": article.title_zh, "url": url},
                 _("Press “Talk to a person” and an agent will help you in English.")]
    else:
        lines = [article.title, _excerpt(article) if _reads_english() else strip_tags(str(found.snippet)).strip(),
                 _("Read more: %(url)s") % {"url": url}]
    return BotAnswer(text="\n".join(line for line in lines if line), confidence=found.confidence)


EXCERPT_CHARS = 200


def _reads_english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _excerpt(article: Article) -> str:
    # The search snippet quotes the Chinese text it matched; an English reader gets the English body's start.
    text = " ".join(strip_tags(article.body_html_en or article.body_en).split())
    return text if len(text) <= EXCERPT_CHARS else f"{text[:EXCERPT_CHARS - 1]}…"

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
