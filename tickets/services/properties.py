"""Setting a ticket's priority, type, category and tags from the desk (macros, bulk actions)."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import User
from tickets import sla
from tickets.errors import NotAllowed
from tickets.models import Category, Priority, Ticket, TicketType
from tickets.selectors import is_desk
from tickets.services import search_index
from tickets.services.common import lock, publish, save

TAG_MAX_CHARS = 30
TAGS_MAX = 30


def retagged(tags: list[str], *, added: Sequence[str], removed: Sequence[str]) -> list[str]:
    """The tags after a change: order kept, removed ones dropped, new ones appended; at most TAGS_MAX."""
    result = [tag for tag in tags if tag not in removed] + [tag for tag in added if tag not in tags]
    if result != tags and len(result) > TAGS_MAX:
        raise ValidationError({"tags": _("A ticket has at most %(n)s tags.") % {"n": TAGS_MAX}})
    return result


def clean_tags(tags: Sequence[str], field: str = "tags") -> list[str]:
    """Trimmed, lower-cased, de-duplicated tags; a tag that is empty after trimming is dropped."""
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX_CHARS or not tag.isprintable():
            raise ValidationError({field: _("A tag has at most %(n)s printable characters.") % {"n": TAG_MAX_CHARS}})
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


@transaction.atomic
def ticket_update_properties(*, ticket: Ticket, actor: User, priority: str | None = None,
                             ticket_type: str | None = None, category: Category | None = None,
                             add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                             now: datetime | None = None) -> Ticket:
    """Change what is given (None leaves a property as it is); a new priority re-targets the SLA."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can change a ticket."))
    if priority is not None and priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if ticket_type is not None and ticket_type not in TicketType.values:
        raise ValidationError({"type": _("Unknown ticket type.")})
    added, removed = clean_tags(add_tags), clean_tags(remove_tags)
    ticket = lock(ticket)
    changed: list[str] = []
    if priority is not None and priority != ticket.priority:
        ticket.priority = priority
        sla.retarget(ticket, now=now or timezone.now())
        changed += ["priority", "sla_policy", "first_response_due_at", "resolution_due_at", "due_at",
                    "next_sla_check_at"]
    if ticket_type is not None and ticket_type != ticket.type:
        ticket.type = ticket_type
        changed.append("type")
    if category is not None and category.pk != ticket.category_id:
        ticket.category = category
        changed.append("category")
    tags = retagged(ticket.tags, added=added, removed=removed)
    if tags != ticket.tags:
        ticket.tags = tags
        changed.append("tags")
    if not changed:
        return ticket
    save(ticket, actor=actor, reason="properties", update_fields=changed)
    if "tags" in changed:
        search_index.refresh_heads([ticket.pk])
    publish("ticket.updated", ticket, actor_id=actor.pk, fields=[name for name in changed if name in
                                                                 ("priority", "type", "category", "tags")])
    return ticket
