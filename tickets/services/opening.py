"""A new ticket's rows in one statement: its number, the ticket, its first history row, its first message and its
search document.

They were five round trips (the day's counter, the ticket, simple-history's row from the ticket's post_save, the
message, the search document), each compiled by the ORM. The ticket and the message are still compiled by
Django's insert compiler from their model instances (field preparation, auto_now, the array and date adapters stay
Django's); the rows that need the new ticket's id, number or fields read them from the ticket's insert (a
data-modifying CTE). The history row is what `core.history.HistoricalRecords` writes for a created ticket (the
tracked fields, the actor, the reason, "+"); nothing here listens to simple-history's create signals, which this
bypasses.

The statement keeps under 50 parameters: psycopg caches the parsing of a query only below that (and below 4 KiB),
and parsing it again on every create cost more than one of the round trips saved.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import RawSQL
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

from tickets.models import Ticket, TicketMessage
from tickets.services import search_index

_COUNTER = (
    "INSERT INTO tickets_ticketcounter (day, last) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET last = tickets_ticketcounter.last + 1 RETURNING last"
)
# `T` + YYYYMMDD + the day's sequence, 5 digits or more.
_NUMBER = "(SELECT %s || lpad(last::text, greatest(5, length(last::text)), '0') FROM counter)"


def _new_ticket(column: str) -> RawSQL:
    """The new ticket's `column` as a value of another row: read from the ticket's insert, in the same statement."""
    return RawSQL(f"(SELECT {column} FROM new_ticket)", [])  # noqa: S608, S611 (our column names, no input)


def _insert_sql(db: BaseDatabaseWrapper, model: type[Model], instance: Model) -> tuple[str, tuple[Any, ...]]:
    """The INSERT that `instance.save()` would run for a new row (without its RETURNING)."""
    meta = model._meta
    fields: Sequence[Field[Any, Any]] = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, [instance])
    [(sql, params)] = query.get_compiler(connection=db).as_sql()
    return sql, params


def insert_opened(*, ticket: Ticket, message: TicketMessage, day_key: str, actor: Any, reason: str) -> None:
    """Write the new `ticket` and its first `message` (not saved yet; the message's ticket is set here), then
    give both their ids, and the ticket its number, as `save()` would have."""
    # The real connection, not django.db.connection: the compilers read it a few hundred times, and each read
    # through that proxy looks the connection up in a context-local.
    db = connections[router.db_for_write(Ticket)]
    ticket.number = RawSQL(_NUMBER, [f"T{day_key.replace('-', '')}"])  # noqa: S611
    ticket_sql, ticket_params = _insert_sql(db, Ticket, ticket)
    message.ticket_id = _new_ticket("id")
    message_sql, message_params = _insert_sql(db, TicketMessage, message)
    parts = [f"counter AS ({_COUNTER})", f"new_ticket AS ({ticket_sql} RETURNING *)",
             f"new_message AS ({message_sql} RETURNING id)"]
    params: list[Any] = [day_key, *ticket_params, *message_params]
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        history_sql, history_params = _history_sql(db, actor=actor, reason=reason,
                                                    now=getattr(ticket, "_history_date", timezone.now()))
        parts.append(f"history AS ({history_sql})")
        params += history_params
    search_sql, search_params = search_index.created_document_sql(ticket=ticket, message=message,
                                                                  ticket_id_sql="(SELECT id FROM new_ticket)")
    parts.append(f"search AS ({search_sql})")
    params += search_params
    with db.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT new_ticket.id, new_ticket.number, new_message.id "  # noqa: S608 (compiled by Django, values as parameters)
                       "FROM new_ticket, new_message", params)
        ticket_id, number, message_id = cursor.fetchone()
    ticket.pk, ticket.number = ticket_id, number
    message.pk = message_id
    message.ticket = ticket
    for saved in (ticket, message):
        saved._state.adding = False
        saved._state.db = db.alias
    search_index.created(ticket_id)


def _history_sql(db: BaseDatabaseWrapper, *, actor: Any, reason: str, now: datetime) -> tuple[str, list[Any]]:
    """simple-history's row for a created ticket: its copy of each tracked field read from the ticket's insert
    (the same column names), then who, why and when."""
    history_model = Ticket.history.model
    given = {"history_date": now, "history_change_reason": reason, "history_type": "+",
             "history_user": actor if getattr(actor, "is_authenticated", False) else None}
    quote = db.ops.quote_name
    columns, values, params = [], [], []
    for field in history_model._meta.local_concrete_fields:
        if field is history_model._meta.auto_field:
            continue
        columns.append(quote(field.column))
        if field.name in given:
            value = given[field.name]
            values.append("%s")
            params.append(field.get_db_prep_save(getattr(value, "pk", value), connection=db))
        else:
            values.append(f"new_ticket.{quote(field.column)}")
    return (f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
            f"SELECT {', '.join(values)} FROM new_ticket", params)
