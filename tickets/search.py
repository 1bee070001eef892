"""Ticket search: one interface (`search`), two backends (PostgreSQL full-text by default, Elasticsearch
when `ELASTICSEARCH_URL` is set), used by the desk's search page, the tickets API and the admin.

A query is cut into words by the same jieba function as the documents, and every word must match
(words that look like numbers match as prefixes, so "T20261122" finds that day's tickets). A phone
number or e-mail address is looked up exactly through the customer's blind index, never as text.
Results are the newest first, paged by id (a keyset, never OFFSET), after the caller's access rule and
queue filters: the caller passes the tickets the user may see, and search only narrows them.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString

from profiles.models import User
from service_center.core.crypto import blind_index
from service_center.core.highlight import highlight_terms, mark_terms, snippet
from service_center.core.masking import can_view_pii
from service_center.core.segmentation import MAX_QUERY_CHARS, segment
from tickets.models import Ticket, TicketMessage

# More words than this add nothing but work: the rest of a pasted paragraph is ignored.
MAX_TERMS = 12
# A word with a digit and at least this many characters matches as a prefix (ticket, order, phone numbers).
PREFIX_MIN_CHARS = 4
PHONE_MIN_DIGITS = 7
SNIPPET_BEFORE, SNIPPET_AFTER = 30, 110
# A query matching at least this many tickets is "common": results are found by walking the newest
# tickets rather than by collecting every match from the index and sorting them.
COMMON_MATCHES = 10_000
MATCH_COUNT_TTL = 600
_WALK = ("COALESCE((SELECT {} @@ to_tsquery('simple', %s) FROM tickets_ticketsearch s "
         'WHERE s.ticket_id = "tickets_ticket"."id"), false)')
_WALK_STAFF = _WALK.format("(s.head || s.replies || s.notes)")
_WALK_PUBLIC = _WALK.format("(s.head || s.replies)")
_FROM_INDEX = ('"tickets_ticket"."id" = ANY(ARRAY(SELECT ticket_id FROM tickets_ticketsearch '
               "WHERE ((head || replies) || notes) @@ to_tsquery('simple', %s)))")


@dataclass(frozen=True)
class TicketQuery:
    text: str
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms and self.contact_kind is None

    @property
    def contact_kind(self) -> str | None:
        """"email" or "phone" when the whole query is one address or number (for the blind index)."""
        text = self.text.strip()
        if "@" in text and " " not in text and "." in text.rpartition("@")[2]:
            return "email"
        digits = sum(ch.isdigit() for ch in text)
        if digits >= PHONE_MIN_DIGITS and all(ch.isdigit() or ch in "+-() " for ch in text):
            return "phone"
        return None

    def tsquery(self) -> str:
        # Terms are \w-only (see segment), so quoting them can never break the tsquery syntax.
        return " & ".join(f"'{term}'" + (":*" if is_prefix_term(term) else "") for term in self.terms)

    @property
    def marks(self) -> list[str]:
        return highlight_terms(self.terms)


def is_prefix_term(term: str) -> bool:
    return len(term) >= PREFIX_MIN_CHARS and any(ch.isdigit() for ch in term)


def parse(text: str) -> TicketQuery:
    """Any text is a query: operators, quotes and emoji are not words and fall away; none raises."""
    text = (text or "")[:MAX_QUERY_CHARS]
    terms = [term for term in dict.fromkeys(segment(text)) if term.strip("_")]
    return TicketQuery(text=text, terms=tuple(terms[:MAX_TERMS]))


def match_count_key(tsquery: str) -> str:
    return f"tickets:search:n:{hashlib.blake2b(tsquery.encode(), digest_size=12).hexdigest()}"


def match_count(tsquery: str, *, cap: int = COMMON_MATCHES) -> int:
    """How many tickets match, counted through the GIN index up to `cap`, and cached briefly.

    ((head || replies) || notes) here and in _FROM_INDEX is the `ticket_search_staff` index's expression
    (tickets.models.search.staff_document), written out so PostgreSQL matches it to the index.
    """
    key = match_count_key(tsquery)
    count = cache.get(key)
    if count is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM tickets_ticketsearch "
                "WHERE ((head || replies) || notes) @@ to_tsquery('simple', %s) LIMIT %s) found",
                [tsquery, cap],
            )
            (count,) = cursor.fetchone()
        cache.set(key, count, MATCH_COUNT_TTL)
    return int(count)


def contact_customers(query: TicketQuery, user: Any) -> list[int] | None:
    """Customers whose phone or e-mail is exactly the query, for the desk (which already finds a caller by
    number when opening a ticket) and people allowed to see contact details; None when the query is no
    address or number, or the user may not look people up by one."""
    kind = query.contact_kind
    if kind is None or not (user.has_perm("profiles.use_desk") or can_view_pii(user)):
        return None
    return list(User.objects.filter(**{f"{kind}_index": blind_index(query.text, kind=kind)})
                .values_list("pk", flat=True))


def search(tickets: QuerySet[Ticket], query: TicketQuery, *, user: Any, include_notes: bool,
           before: int | None = None) -> QuerySet[Ticket]:
    """`tickets` (already limited to what `user` may see) that match, newest first, ids below `before`."""
    if before is not None:
        tickets = tickets.filter(pk__lt=before)
    if query.is_empty:
        return tickets.none()
    customers = contact_customers(query, user)
    if customers:
        matching = tickets.filter(customer_id__in=customers)
    elif not query.terms:
        return tickets.none()
    elif settings.ELASTICSEARCH_URL:
        from tickets import elastic

        matching = tickets.filter(pk__in=elastic.search_ids(query, include_notes=include_notes, before=before))
    elif not include_notes or match_count(query.tsquery()) >= COMMON_MATCHES:
        # Common words (and a customer's few tickets): walk the newest visible tickets and check each
        # one's document, stopping at the page's end. A correlated subquery, because as a join the
        # planner may misjudge how many match and sort every match instead.
        walk = _WALK_STAFF if include_notes else _WALK_PUBLIC
        matching = tickets.extra(where=[walk], params=[query.tsquery()])  # noqa: S610 (constant SQL, bound value)
    else:
        # Rarer words: every match through the GIN index (an InitPlan the planner cannot turn into a walk
        # of the whole table), then the visible ones among them, newest first.
        matching = tickets.extra(where=[_FROM_INDEX], params=[query.tsquery()])  # noqa: S610 (constant SQL, bound value)
    return matching.order_by("-pk")


@dataclass(frozen=True)
class Hit:
    ticket: Ticket
    subject_html: SafeString
    snippet_html: SafeString


def hits(tickets: Sequence[Ticket], query: TicketQuery, *, include_notes: bool) -> list[Hit]:
    """Each ticket with its subject and the first matching message highlighted: one query for the page."""
    marks = query.marks
    found: dict[int, str] = {}
    if tickets and marks:
        matches = Q()
        for term in marks:
            matches |= Q(body__icontains=term)
        messages = TicketMessage.objects.filter(matches, ticket_id__in=[ticket.pk for ticket in tickets])
        if not include_notes:
            messages = messages.filter(kind=TicketMessage.Kind.REPLY)
        found = dict(messages.order_by("ticket_id", "id").distinct("ticket_id").values_list("ticket_id", "body"))
    return [
        Hit(ticket=ticket, subject_html=mark_terms(ticket.subject, marks),
            snippet_html=snippet(" ".join(found[ticket.pk].split()), marks, before=SNIPPET_BEFORE,
                                 after=SNIPPET_AFTER) if ticket.pk in found else SafeString(""))
        for ticket in tickets
    ]
