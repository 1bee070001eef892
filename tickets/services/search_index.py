"""Keeps `TicketSearch` in step with tickets: every write that changes what a ticket is found by calls here.

Text is segmented with the knowledge search's jieba function (`core.segmentation`) and
stored under the 'simple' configuration, so a word is cut the same way in articles, tickets and queries.
Each function is one SQL statement per call or per batch: a new message appends its tokens to the
document (`||`) instead of re-reading the thread.

Every vector is `strip`ped: search only asks whether all words occur (`&`, prefixes), never for their
positions (no phrase search, no ranking), so positions would only cost bytes, two per occurrence, growing
with every message of a thread while the stripped vector grows only with new words.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.db import connection, transaction

from core import events
from core.events import DomainEvent
from core.segmentation import index_text
from tickets.models import Ticket, TicketMessage
from tickets.search_query import head_text

# The backfill and the merge rebuild this many tickets per statement.
BATCH = 500

_UPSERT = (
    "INSERT INTO tickets_ticketsearch (ticket_id, head, replies, notes) "
    "SELECT v.id, strip(to_tsvector('simple', v.head)), strip(to_tsvector('simple', v.replies)), "
    "strip(to_tsvector('simple', v.notes)) "
    "FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[]) AS v(id, head, replies, notes) "
)


def _head(*, subject: str, customer_name: str, order_number: str, tags: Sequence[str]) -> str:
    # No ticket number: tickets.search matches it from the ticket's row (its unique index), where as a word it
    # was one GIN entry per ticket.
    return head_text(number="", subject=subject, customer_name=customer_name, order_number=order_number, tags=tags)


def _head_of(ticket: Ticket) -> str:
    return _head(subject=ticket.subject, customer_name=str(ticket.customer), order_number=ticket.order_number,
                 tags=ticket.tags)


def created_document_sql(*, ticket: Ticket, message: TicketMessage, ticket_id_sql: str) -> tuple[str, list[str]]:
    """A new ticket's document with its first message: an INSERT whose ticket id is the SQL expression
    `ticket_id_sql`, run inside the statement that writes the ticket (services.opening); then `created`."""
    replies, notes = _message_parts(message)
    return (
        "INSERT INTO tickets_ticketsearch (ticket_id, head, replies, notes) "
        f"SELECT {ticket_id_sql}, strip(to_tsvector('simple', %s::text)), strip(to_tsvector('simple', %s::text)), "
        "strip(to_tsvector('simple', %s::text))",
        [_head_of(ticket), replies, notes],
    )


def created(ticket_id: int) -> None:
    """After `created_document_sql`'s statement."""
    _sync_elastic([ticket_id])


def _message_parts(message: TicketMessage) -> tuple[str, str]:
    """A message's words as (public replies, internal notes): a note's words are only ever found by staff."""
    tokens = index_text(message.body)
    return ("", tokens) if message.kind == TicketMessage.Kind.NOTE else (tokens, "")


def index_message(message: TicketMessage) -> None:
    """Append one message's words to its ticket's public or internal part."""
    index_messages([message])


def index_messages(messages: Sequence[TicketMessage]) -> None:
    """Append messages' words to their tickets' public or internal parts, in one statement (also a set-based
    change: services.batch); a ticket's messages are appended in order. A ticket from before the backfill has no
    row yet: it gets one with an empty head, which the backfill fills."""
    parts: dict[int, tuple[list[str], list[str]]] = {}
    for message in messages:
        replies, notes = parts.setdefault(message.ticket_id, ([], []))
        public, internal = _message_parts(message)
        replies.append(public)
        notes.append(internal)
    if not parts:
        return
    ids = list(parts)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT + "ON CONFLICT (ticket_id) DO UPDATE SET head = tickets_ticketsearch.head, "
            "replies = tickets_ticketsearch.replies || EXCLUDED.replies, "
            "notes = tickets_ticketsearch.notes || EXCLUDED.notes",
            [ids, [""] * len(ids), [" ".join(parts[pk][0]) for pk in ids], [" ".join(parts[pk][1]) for pk in ids]],
        )
    _sync_elastic(ids)


def refresh_heads(ticket_ids: Iterable[int]) -> int:
    """Recompute subject / customer name / order number / tags of these tickets (after a rename,
    a customer merge, a tag change), in batches, without touching their message parts."""
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), BATCH):
        rows = list(
            Ticket.objects.filter(pk__in=ids[start : start + BATCH])
            .values_list("pk", "subject", "customer__display_name", "customer__username", "order_number", "tags")
        )
        heads = [_head(subject=subject, customer_name=name or username, order_number=order, tags=tags)
                 for _pk, subject, name, username, order, tags in rows]
        with connection.cursor() as cursor:
            cursor.execute(
                _UPSERT + "ON CONFLICT (ticket_id) DO UPDATE SET head = EXCLUDED.head",
                [[row[0] for row in rows], heads, [""] * len(rows), [""] * len(rows)],
            )
    _sync_elastic(ids)
    return len(ids)


def append_tags(added: Mapping[int, Sequence[str]]) -> None:
    """Tags appended to these tickets' tag lists, nothing else of their heads changed: each head gets the new
    tags' words appended (each distinct list segmented once), which is the head `refresh_heads` would compute
    (the tags are its last part) without segmenting the subject again. A ticket without a search row yet
    gets its whole head."""
    added = {pk: tags for pk, tags in added.items() if tags}
    if not added:
        return
    words = {tags: index_text(" ".join(tags)) for tags in {tuple(tags) for tags in added.values()}}
    ids = sorted(added)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticketsearch AS s SET head = s.head || strip(to_tsvector('simple', v.words)) "
            "FROM unnest(%s::int[], %s::text[]) AS v(id, words) WHERE s.ticket_id = v.id RETURNING s.ticket_id",
            [ids, [words[tuple(added[pk])] for pk in ids]],
        )
        updated = {row[0] for row in cursor.fetchall()}
    refresh_heads([pk for pk in ids if pk not in updated])
    _sync_elastic(sorted(updated))


def refresh_customer(customer_id: int) -> int:
    """Every ticket of a customer whose name changed or who was merged into another."""
    return refresh_heads(Ticket.objects.filter(customer_id=customer_id).values_list("pk", flat=True))


def rebuild(ticket_ids: Iterable[int]) -> int:
    """The whole document of these tickets from their rows and every message (merge, admin edit, backfill)."""
    ids = sorted(set(ticket_ids))
    for start in range(0, len(ids), BATCH):
        _rebuild_batch(ids[start : start + BATCH])
    _sync_elastic(ids)
    return len(ids)


def _rebuild_batch(ids: list[int]) -> None:
    replies: dict[int, list[str]] = defaultdict(list)
    notes: dict[int, list[str]] = defaultdict(list)
    messages = (TicketMessage.objects.filter(ticket_id__in=ids).order_by("ticket_id", "id")
                .values_list("ticket_id", "kind", "body"))
    for ticket_id, kind, body in messages.iterator(chunk_size=2000):
        (notes if kind == TicketMessage.Kind.NOTE else replies)[ticket_id].append(index_text(body))
    rows = list(
        Ticket.objects.filter(pk__in=ids)
        .values_list("pk", "subject", "customer__display_name", "customer__username", "order_number", "tags")
    )
    heads = [_head(subject=subject, customer_name=name or username, order_number=order, tags=tags)
             for _pk, subject, name, username, order, tags in rows]
    found = [row[0] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT + "ON CONFLICT (ticket_id) DO UPDATE SET head = EXCLUDED.head, replies = EXCLUDED.replies, "
            "notes = EXCLUDED.notes",
            [found, heads, [" ".join(replies[pk]) for pk in found], [" ".join(notes[pk]) for pk in found]],
        )


def _sync_elastic(ticket_ids: Sequence[int]) -> None:
    """With Elasticsearch configured, the same tickets are re-sent to it once the transaction commits."""
    if not settings.ELASTICSEARCH_URL or not ticket_ids:
        return
    from tickets import elastic

    ids = list(ticket_ids)
    transaction.on_commit(lambda: elastic.index_tickets(ids))


def _on_user_renamed(event: DomainEvent) -> None:
    refresh_customer(int(event.payload["user_id"]))


def subscribe() -> None:
    # Heard by name: profiles publishes the rename and never imports tickets.
    events.subscribe("user.renamed", _on_user_renamed)
