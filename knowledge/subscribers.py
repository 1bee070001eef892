"""Domain events the knowledge base listens to. Subscribed by name: knowledge never imports the publisher."""

from core import events
from core.events import DomainEvent
from knowledge.models import UnansweredQuestion
from knowledge.notifications import queue_review_mail

MAX_SUBJECT_CHARS = 500


def log_ticket_subject(event: DomainEvent) -> None:
    """Ticket subjects feed the nightly FAQ drafts beside the bot's unanswered questions."""
    subject = str(event.payload.get("subject") or "").strip()
    if subject:
        UnansweredQuestion.objects.create(text=subject[:MAX_SUBJECT_CHARS], source=UnansweredQuestion.Source.TICKET)


def subscribe() -> None:
    events.subscribe("ticket.created", log_ticket_subject)
    events.subscribe("knowledge.review_needed", queue_review_mail)
