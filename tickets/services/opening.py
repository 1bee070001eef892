"""A new ticket's rows in one statement: its number, the ticket, its first history row, its first message and its
search document.

They were five round trips (the day's counter, the ticket, simple-history's row from the ticket's post_save, the
message, the search document), each compiled by the ORM. The ticket's and the message's INSERTs are compiled by
Django's insert compiler, once per process, and their values prepared as it prepares them (field preparation,
auto_now, the array and date adapters stay Django's); the rows that need the new ticket's id, number or fields
read them from the ticket's insert (a data-modifying CTE). The history row is what
`core.history.HistoricalRecords` writes for a created ticket (the tracked fields, the actor, the reason, "+");
nothing here listens to simple-history's create signals, which this bypasses.

The statement keeps under 50 parameters: psycopg caches the parsing of a query only below that (and below 4 KiB),
and parsing it again on every create cost more than one of the round trips saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import RawSQL
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

from core.prepared import planned_once_cursor
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


def _inserted_fields(model: type[Model]) -> list[Field[Any, Any]]:
    meta = model._meta
    return [field for field in meta.local_concrete_fields if field is not meta.auto_field]


def _insert_sql(db: BaseDatabaseWrapper, model: type[Model], instance: Model) -> str:
    """The INSERT that `instance.save()` would run for a new row (without its RETURNING)."""
    query = InsertQuery(model)
    query.insert_values(_inserted_fields(model), [instance])
    [(sql, _params)] = query.get_compiler(connection=db).as_sql()
    return sql


def _insert_params(db: BaseDatabaseWrapper, model: type[Model], instance: Model) -> list[Any]:
    """The parameters of `_insert_sql` for `instance`, prepared as Django's insert compiler prepares them (each
    field's `pre_save`, so auto_now stamps, then `get_db_prep_save`); a value read from the statement itself
    (`_new_ticket`, the number) brings its own parameters."""
    params: list[Any] = []
    for field in _inserted_fields(model):
        value = field.pre_save(instance, True)
        if isinstance(value, RawSQL):
            params.extend(value.params)
        else:
            params.append(field.get_db_prep_save(value, connection=db))
    return params


@dataclass(frozen=True)
class _Statement:
    sql: str
    history_given: tuple[Field[Any, Any], ...]  # the history row's fields whose values are parameters, in order


# By database alias and whether history is written: Django's insert compiler ran on every create, and compiling
# the two INSERTs cost more CPU than the rest of building the statement. Only the parameters change per create.
_statements: dict[tuple[str, bool], _Statement] = {}


def _statement(db: BaseDatabaseWrapper, *, ticket: Ticket, message: TicketMessage, with_history: bool
               ) -> _Statement:
    key = (db.alias, with_history)
    statement = _statements.get(key)
    if statement is None:
        parts = [f"counter AS ({_COUNTER})", f"new_ticket AS ({_insert_sql(db, Ticket, ticket)} RETURNING *)",
                 f"new_message AS ({_insert_sql(db, TicketMessage, message)} RETURNING id)"]
        history_given: tuple[Field[Any, Any], ...] = ()
        if with_history:
            history_sql, history_given = _history_sql(db)
            parts.append(f"history AS ({history_sql})")
        search_sql, _search_params = _search_document(ticket, message)
        parts.append(f"search AS ({search_sql})")
        sql = (f"WITH {', '.join(parts)} SELECT new_ticket.id, new_ticket.number, new_message.id "  # noqa: S608 (compiled by Django, values as parameters)
               "FROM new_ticket, new_message")
        statement = _statements[key] = _Statement(sql=sql, history_given=history_given)
    return statement


def _search_document(ticket: Ticket, message: TicketMessage) -> tuple[str, list[str]]:
    return search_index.created_document_sql(ticket=ticket, message=message,
                                             ticket_id_sql="(SELECT id FROM new_ticket)")


def insert_opened(*, ticket: Ticket, message: TicketMessage, day_key: str, actor: Any, reason: str) -> None:
    """Write the new `ticket` and its first `message` (not saved yet; the message's ticket is set here), then
    give both their ids, and the ticket its number, as `save()` would have."""
    # The real connection, not django.db.connection: the compilers read it a few hundred times, and each read
    # through that proxy looks the connection up in a context-local.
    db = connections[router.db_for_write(Ticket)]
    ticket.number = RawSQL(_NUMBER, [f"T{day_key.replace('-', '')}"])  # noqa: S611
    message.ticket_id = _new_ticket("id")
    with_history = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    statement = _statement(db, ticket=ticket, message=message, with_history=with_history)
    params: list[Any] = [day_key, *_insert_params(db, Ticket, ticket), *_insert_params(db, TicketMessage, message)]
    if with_history:
        given = {"history_date": getattr(ticket, "_history_date", timezone.now()), "history_change_reason": reason,
                 "history_type": "+", "history_user": actor if getattr(actor, "is_authenticated", False) else None}
        params += [field.get_db_prep_save(getattr(value := given[field.name], "pk", value), connection=db)
                   for field in statement.history_given]
    params += _search_document(ticket, message)[1]
    with planned_once_cursor(db) as cursor:
        cursor.execute(statement.sql, params)
        ticket_id, number, message_id = cursor.fetchone()
    ticket.pk, ticket.number = ticket_id, number
    message.pk = message_id
    message.ticket = ticket
    for saved in (ticket, message):
        saved._state.adding = False
        saved._state.db = db.alias
    search_index.created(ticket_id)


_HISTORY_GIVEN = ("history_date", "history_change_reason", "history_type", "history_user")


def _history_sql(db: BaseDatabaseWrapper) -> tuple[str, tuple[Field[Any, Any], ...]]:
    """simple-history's row for a created ticket: its copy of each tracked field read from the ticket's insert
    (the same column names), then who, why and when, as parameters (the fields returned, in order)."""
    history_model = Ticket.history.model
    quote = db.ops.quote_name
    columns, values, given = [], [], []
    for field in history_model._meta.local_concrete_fields:
        if field is history_model._meta.auto_field:
            continue
        columns.append(quote(field.column))
        if field.name in _HISTORY_GIVEN:
            values.append("%s")
            given.append(field)
        else:
            values.append(f"new_ticket.{quote(field.column)}")
    return (f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
            f"SELECT {', '.join(values)} FROM new_ticket", tuple(given))
