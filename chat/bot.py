"""The assistant that greets a new conversation and answers by the message's intent (knowledge/intents.py):
the customer's own orders and refunds from their records (chat/order_questions.py), how-to questions from
the knowledge base (a confident answer, else "did you mean" with the top three and a person), greetings
with a greeting. A person takes over when asked for, for a complaint to file, on angry wording, or after
`CHAT_BOT_MAX_MISSES` questions it could not answer with confidence (logged for the FAQ drafts)."""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from chat import order_questions
from knowledge import intents
from knowledge.bot import Answer, answer_question
from knowledge.models import Article
from profiles.models import User


@dataclass(frozen=True)
class BotAnswer:
    text: str
    confidence: float
    # False for a "did you mean" or a greeting: the question itself is still unanswered.
    answered: bool = True


def _article_answer(found: Answer) -> BotAnswer:
    """The article in the active language (the caller activates the customer's UI language): in English the
    article's English text when it has one, else a line saying the answer exists only in Chinese, with its
    link and the offer of a person."""
    article = found.article
    assert article is not None
    url = reverse("help:article", args=[article.slug])
    if _reads_english() and not article.body_en:
        lines = [_("I found an answer, but it is only available in Chinese: “%(title)s” %(url)s")
                 % {"title": article.title_zh, "url": url},
                 _("Press “Talk to a person” and an agent will help you in English.")]
    else:
        lines = [article.title, _excerpt(article) if _reads_english() else strip_tags(str(found.snippet)).strip(),
                 _("Read more: %(url)s") % {"url": url}]
    return BotAnswer(text="\n".join(line for line in lines if line), confidence=found.confidence)


def _did_you_mean(found: Answer) -> BotAnswer:
    lines = [_("I am not sure I understood. Did you mean:")]
    for number, article in enumerate(found.did_you_mean, start=1):
        lines.append(f"{number}. {article.title} {reverse('help:article', args=[article.slug])}")
    lines.append(_("Or press “Talk to a person” and an agent will help you."))
    return BotAnswer(text="\n".join(lines), confidence=found.confidence, answered=False)


def answer(question: str, customer: User) -> BotAnswer | None:
    """An answer by intent: the customer's own records when they ask where their case stands, else the
    knowledge base (confident: the article; unsure: "did you mean" the top three plus a person). None when
    there is nothing to offer at all."""
    intent = intents.classify(question)
    if intent.name == intents.CHITCHAT:
        return BotAnswer(text=greeting(), confidence=intent.probability)
    if intent.name == intents.MY_RECORDS:
        from_records = order_questions.answer(question, customer.pk)
        if from_records is not None:
            return BotAnswer(text=from_records.text, confidence=from_records.confidence)
    found = answer_question(question, customer)
    if found.confident:
        return _article_answer(found)
    if found.did_you_mean:
        return _did_you_mean(found)
    return None


# Wording angry enough that a person should take over whatever was asked.
ANGRY_PATTERN = re.compile(r"(垃圾|骗子|太差|气死|差评|什么破|[!\uff01]{3})")


EXCERPT_CHARS = 200


def _reads_english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _excerpt(article: Article) -> str:
    # The search snippet quotes the Chinese text it matched; an English reader gets the English body's start.
    text = " ".join(strip_tags(article.body_html_en or article.body_en).split())
    return text if len(text) <= EXCERPT_CHARS else f"{text[:EXCERPT_CHARS - 1]}…"




def wants_human(text: str) -> str | None:
    """The handoff reason the text gives ("keyword" when a person is asked for, "complaint" for a complaint
    to file, "angry"), or None. "怎么投诉商家" asks how to complain and is answered, not handed off."""
    intent = intents.classify(text)
    if intent.name == intents.WANTS_HUMAN:
        return "keyword"
    if intent.name == intents.COMPLAINT:
        return "complaint"
    if ANGRY_PATTERN.search(text):
        return "angry"
    return None


def greeting() -> str:
    return _("Hello, I am the Service Center assistant. Tell me what you need, or press “Talk to a person”.")


def cannot_answer() -> str:
    return _("Sorry, I cannot answer that yet. Press “Talk to a person” and an agent will help you.")


def handing_over() -> str:
    return _("Let me find an agent for you.")


def handing_over_complaint() -> str:
    return _("I am passing your complaint to an agent, who will file it with you. You can also file it yourself "
             "from the order on your after-sales page: %(url)s") % {"url": reverse("aftersales:home")}


def suggestions(question: str) -> list[Article]:
    """Articles an agent may want beside the customer's last question (not logged as unanswered)."""
    found = answer_question(question, log=False)
    return [found.article, *found.alternatives] if found.article is not None else []
