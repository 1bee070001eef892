"""Ticket search: one interface (`search`), two backends (PostgreSQL full-text by default, Elasticsearch
when `ELASTICSEARCH_URL` is set), used by the desk's search page, the tickets API and the admin.

A query is cut into words by the same jieba function as the documents, and every word must match
(words that look like numbers match as prefixes, so "T20261122" finds that day's tickets; the ticket's own
number is matched from its row, not stored in the search document: see `_newest_matches`). A phone
number or e-mail address is looked up exactly through the customer's blind index, never as text.
Results are the newest first, paged by id (a keyset, never OFFSET), after the caller's access rule and
queue filters: the caller passes the tickets the user may see, and search only narrows them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString

from core.crypto import blind_index
from core.highlight import mark_terms, snippet
from core.masking import can_view_pii
from core.segmentation import MAX_QUERY_CHARS, segment
from profiles.models import User
from tickets.models import Ticket
from tickets.search_query import TicketQuery, is_prefix_term

# More words than this add nothing but work: the rest of a pasted paragraph is ignored.
MAX_TERMS = 12
SNIPPET_BEFORE, SNIPPET_AFTER = 30, 110
# The newest visible tickets checked one by one (cheap while a word is common); older matches come
# from the GIN index, restricted to ids below them (cheap while a word is rare).
WALK_ROWS = 2000
# Rows a search may return when the caller gives no limit (the API's largest page, plus one).
DEFAULT_LIMIT = 201
MAX_LIMIT = 5000
_MATCHES = ("COALESCE((SELECT {document} @@ to_tsquery('simple', %s) FROM tickets_ticketsearch s "
            "WHERE s.ticket_id = {ticket}), false)")
_DOCUMENTS = {True: "(s.head || s.replies || s.notes)", False: "(s.head || s.replies)"}
# ((head || replies) || notes) is the `ticket_search_staff` GIN index's expression
# (tickets.models.search.staff_document), written out so PostgreSQL matches it to the index.
_FROM_INDEX = ('"tickets_ticket"."id" = ANY(ARRAY(SELECT ticket_id FROM tickets_ticketsearch '
               "WHERE ((head || replies) || notes) @@ to_tsquery('simple', %s)))")


def parse(text: str) -> TicketQuery:
    """Any text is a query: operators, quotes and emoji are not words and fall away; none raises."""
    text = (text or "")[:MAX_QUERY_CHARS]
    terms = [term for term in dict.fromkeys(segment(text)) if term.strip("_")]
    return TicketQuery(text=text, terms=tuple(terms[:MAX_TERMS]))


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
           before: int | None = None, after: int | None = None, limit: int = DEFAULT_LIMIT) -> QuerySet[Ticket]:
    """The newest `limit` of `tickets` (already limited to what `user` may see) that match, newest first,
    ids below `before` and above `after`."""
    limit = max(1, min(limit, MAX_LIMIT))
    if before is not None:
        tickets = tickets.filter(pk__lt=before)
    if after is not None:
        tickets = tickets.filter(pk__gt=after)
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
    else:
        ids_sql, ids_params = _newest_matches(tickets, query.tsquery(), include_notes=include_notes, limit=limit,
                                              numbers=_number_terms(query))
        matching = tickets.extra(where=[f'"tickets_ticket"."id" = ANY({ids_sql})'], params=ids_params)  # noqa: S610 (SQL compiled from querysets and constants, values bound)
    return matching.order_by("-pk")


def _number_terms(query: TicketQuery) -> list[str]:
    """The terms that may begin a ticket number: those matched as prefixes (a digit, four characters or more)."""
    return [term for term in query.terms if is_prefix_term(term)]


def _with_number(document: str, number: str) -> str:
    return f"({document} || to_tsvector('simple', {number}))"


def _newest_matches(tickets: QuerySet[Ticket], tsquery: str, *, include_notes: bool, limit: int,
                    numbers: Sequence[str] = ()) -> tuple[str, list[Any]]:
    """An ARRAY(...) of the ids of the newest `limit` matches among `tickets`, in one statement.

    Two ordered parts joined by UNION ALL under one LIMIT, which PostgreSQL runs lazily: first the
    WALK_ROWS newest visible tickets, each checked against its document (a correlated subquery, so the
    planner cannot swap it for "every match, then sort"); only if they hold too few matches, the older
    matches from the GIN index. A common word fills the page in the first part; a rare word or a number
    prefix (whose matches sit together in one stretch of ids) costs the walk plus an index lookup.

    The ticket's number is no word of its document (as a word it was one GIN entry per ticket, 74 of the 950
    bytes a loaded ticket took): with `numbers` (the terms that may begin a ticket number), each ticket is
    checked against its document plus its number, and the older candidates are the GIN's matches plus the
    tickets whose number begins with one of those terms (a range of the number's index).
    """
    document = _DOCUMENTS[include_notes]
    columns = ("pk", "number") if numbers else ("pk",)
    newest = tickets.order_by("-pk").values_list(*columns)[:WALK_ROWS]
    recent_sql, recent_params = newest.query.sql_with_params()
    row = "(id, number)" if numbers else "(id)"
    checked = _MATCHES.format(document=_with_number(document, "r.number") if numbers else document, ticket="r.id")
    recent_matches = f"SELECT r.id FROM ({recent_sql}) r{row} WHERE {checked} ORDER BY r.id DESC LIMIT {int(limit)}"  # noqa: S608 (compiled queryset and constants)
    below_recent = f'"tickets_ticket"."id" < (SELECT min(w.id) FROM ({recent_sql}) w{row})'  # noqa: S608 (compiled queryset)
    if numbers:
        by_number = " OR ".join(['"tickets_ticket"."number" LIKE %s'] * len(numbers))
        where = [f"({_FROM_INDEX} OR {by_number})", below_recent,
                 _MATCHES.format(document=_with_number(document, '"tickets_ticket"."number"'),
                                 ticket='"tickets_ticket"."id"')]
        # Numbers are upper case; a term's "_" is a character, not LIKE's wildcard (the check above has the last word).
        params = [tsquery, *(term.upper().replace("_", "\\_") + "%" for term in numbers), *recent_params, tsquery]
    else:
        where, params = [_FROM_INDEX, below_recent], [tsquery, *recent_params]
        if not include_notes:
            # The index covers notes too: a customer's match is checked again against the public part.
            where.append(_MATCHES.format(document=document, ticket='"tickets_ticket"."id"'))
            params.append(tsquery)
    older = tickets.extra(where=where, params=params)  # noqa: S610 (constants and a compiled queryset, values bound)
    older_sql, older_params = older.order_by("-pk").values_list("pk", flat=True)[:limit].query.sql_with_params()
    sql = f"ARRAY(SELECT u.id FROM (({recent_matches}) UNION ALL ({older_sql})) u LIMIT {int(limit)})"  # noqa: S608 (compiled querysets)
    return sql, [*recent_params, tsquery, *older_params]


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
        with connection.cursor() as cursor:
            # Per ticket, its thread in order through the (ticket, created_at, id) index, stopping at the
            # first message holding a query word: bounded by the page, never a scan of the messages table.
            cursor.execute(
                "SELECT t.id, m.body FROM unnest(%s::int[]) AS t(id) CROSS JOIN LATERAL ("
                "SELECT body FROM tickets_ticketmessage WHERE ticket_id = t.id AND (%s OR kind = 'reply') "
                "AND EXISTS (SELECT 1 FROM unnest(%s::text[]) AS q(term) WHERE strpos(lower(body), q.term) > 0) "
                "ORDER BY created_at, id LIMIT 1) m",
                [[ticket.pk for ticket in tickets], include_notes, [mark.lower() for mark in marks]],
            )
            found = dict(cursor.fetchall())
    return [
        Hit(ticket=ticket, subject_html=mark_terms(ticket.subject, marks),
            snippet_html=snippet(" ".join(found[ticket.pk].split()), marks, before=SNIPPET_BEFORE,
                                 after=SNIPPET_AFTER) if ticket.pk in found else SafeString(""))
        for ticket in tickets
    ]
