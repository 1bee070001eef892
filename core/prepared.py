"""Querysets whose SQL Django compiles once per thread and database, not on every call.

Some reads run on nearly every request: the signed-in user with their customer profile (the auth backend), on the
API's create the named customer with their user, and the desk's ticket page's ticket, messages and panels. They
select many columns over joins, and compiling such a queryset (columns, joins, ordering) cost more CPU than
running it. `PreparedQuery` compiles the queryset once with marker values for its integer arguments, then runs the
same SQL with the real values and turns the rows into objects with Django's own pieces (its converters,
`Model.from_db`, select_related's populators, annotations), so the objects are the ones the queryset would give.
Only for querysets whose SQL depends on nothing but those integers (no dates, no lists, no user input);
prefetch_related is not run (call `prefetch_related_objects` on the result, or read the related rows with a
prepared query of their own and hand them over with `set_prefetched`). The server plans each statement once per
connection too (`planned_once_cursor`).
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django_prometheus.db.common import ExportingCursorWrapper
from psycopg import ClientCursor

M = TypeVar("M", bound=Model)

# Ids no row has: each marks where an argument goes among the compiled parameters.
_FIRST_MARKER = -7_346_921_958_213


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter position, argument index)
    compiler: Any
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]
    converters: dict[int, Any]
    annotations: tuple[tuple[str, int], ...]


class PreparedQuery(Generic[M]):
    """`all(*values)`: the objects of `build(*values)`, where every value is an integer (an id)."""

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]], arity: int = 1) -> None:
        self._model = model
        self._build = build
        self._markers = tuple(_FIRST_MARKER - n for n in range(arity))
        # Per thread: the compiler keeps the connection it compiled with, and connections are per thread.
        self._local = threading.local()

    def _compile(self, alias: str) -> _Compiled:
        compiler = self._build(*self._markers).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = tuple((position, self._markers.index(param)) for position, param in enumerate(params)
                      if isinstance(param, int) and param in self._markers)
        missing = set(range(len(self._markers))) - {argument for _, argument in slots}
        if missing:
            raise ValueError(f"arguments {sorted(missing)} are not parameters of the compiled SQL")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql, params=tuple(params), slots=slots, compiler=compiler,
            init_list=[column[0].target.attname for column in select[start:end]], start=start, end=end,
            populators=get_related_populators(klass_info, select, alias),  # type: ignore[call-arg]
            converters=compiler.get_converters([column[0] for column in select[0 : compiler.col_count]]),
            annotations=tuple(compiler.annotation_col_map.items()),
        )

    def all(self, *values: int) -> list[M]:
        model = self._model
        alias = router.db_for_read(model)
        by_alias: dict[str, _Compiled] = self._local.__dict__.setdefault("compiled", {})
        compiled = by_alias.get(alias)
        if compiled is None:
            compiled = by_alias[alias] = self._compile(alias)
        params = list(compiled.params)
        for position, argument in compiled.slots:
            params[position] = int(values[argument])
        with planned_once_cursor(connections[alias]) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        objects = []
        for row in rows:
            obj: M = model.from_db(alias, compiled.init_list, row[compiled.start : compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def first(self, *values: int) -> M | None:
        """For a build that orders and slices to one row."""
        found = self.all(*values)
        return found[0] if found else None


def set_prefetched(obj: Model, name: str, found: list[Any]) -> None:
    """Put `found` where prefetch_related would put the objects of `obj`'s relation `name`, as Django's
    prefetch_one_level does, so `getattr(obj, name).all()` gives them without a query."""
    related = getattr(obj, name).all()
    related._result_cache = found
    related._prefetch_done = True
    obj._prefetched_objects_cache = {  # type: ignore[attr-defined]
        **getattr(obj, "_prefetched_objects_cache", {}), name: related}


class PreparedLookup(PreparedQuery[M]):
    """`get(value)`: the first object (by pk) of `build().filter(<field>=value)`, or None."""

    def __init__(self, model: type[M], build: Callable[[], QuerySet[M]], field: str) -> None:
        super().__init__(model, lambda value: build().filter(**{field: value}).order_by("pk")[:1])

    def get(self, value: int) -> M | None:
        return self.first(value)


class _PlannedOnceCursor(ServerBindingCursor):
    """psycopg's server-side binding cursor: a statement it runs a second time on the same connection is prepared (a
    named prepared statement, kept by psycopg per connection), so PostgreSQL parses and plans it once per connection
    instead of on every call. Not on the first run: preparing is a round trip of its own, and a connection that
    serves one request (CONN_MAX_AGE=0, as under Daphne) would pay it for a plan it never reuses."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
                ) -> Any:
        self._statement = (query, params)
        return super().execute(query, params, prepare=prepare, binary=binary)  # type: ignore[misc]

    # Django's query log (connection.queries, CaptureQueriesContext) reads the statement from `_query`, which psycopg
    # fills with the $n placeholders of server-side binding when it runs a statement unprepared, and not at all when
    # it runs it prepared: both get the statement with its values instead.
    def _execute_send(self, query: Any, *, force_extended: bool = False, binary: bool | None = None) -> None:
        super()._execute_send(query, force_extended=force_extended, binary=binary)  # type: ignore[misc]
        self._query = _LoggedStatement(self.connection, *self._statement)  # type: ignore[attr-defined]

    def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
        self._query = _LoggedStatement(self.connection, *self._statement)  # type: ignore[attr-defined]
        super()._send_query_prepared(name, pgq, binary=binary)  # type: ignore[misc]


class _LoggedStatement:
    """What Django's query log reads of a cursor's last statement (`_query.query`): the statement with its values
    inlined, as Django's client-side cursors send theirs (so a logged statement runs again as it is, under EXPLAIN
    too); composed only when the log reads it."""

    def __init__(self, connection: Any, statement: Any, params: Any) -> None:
        self._connection = connection
        self._statement = statement
        self._params = params

    @property
    def query(self) -> bytes:
        return ClientCursor(self._connection).mogrify(self._statement, self._params).encode()


# psycopg prepares a statement on a connection once it has run this many times there unprepared.
_RUNS_BEFORE_PREPARING = 1
# By database alias: django-prometheus's cursor class around ours, as it wraps the connection's own cursors.
_planned_once_cursors: dict[str, Any] = {}


def planned_once_cursor(db: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor of `db` for the few statements run on nearly every request whose planning cost the server more
    than running them (the create's CTE, the routing candidates: ~0.4 ms of planning against ~0.1 ms of
    execution; `PreparedLookup`'s ~60-column joins).
    Through Django's cursor wrapper, so execute wrappers, query logging and counts see them as any other. Pays off
    where a connection serves many requests (Celery workers, a connection pool; not Daphne with CONN_MAX_AGE=0,
    where it costs nothing either), and wants no transaction-pooling proxy between us and PostgreSQL (prepared
    statements live in the server session)."""
    factory = _planned_once_cursors.get(db.alias)
    if factory is None:
        factory = _planned_once_cursors[db.alias] = ExportingCursorWrapper(_PlannedOnceCursor, db.alias, db.vendor)
    db.close_if_health_check_failed()
    db.ensure_connection()
    if db.connection.prepare_threshold is None:
        # psycopg prepares nothing while the threshold is None (Django's default, for connection poolers). Django's
        # own cursors bind on the client and never prepare, whatever the threshold: only ours do.
        db.connection.prepare_threshold = _RUNS_BEFORE_PREPARING
    with db.wrap_database_errors:
        cursor: CursorWrapper = db._prepare_cursor(factory(db.connection))  # type: ignore[attr-defined]
        return cursor


@contextmanager
def one_round_trip(db: BaseDatabaseWrapper) -> Iterator[None]:
    """The statements executed inside, on any of `db`'s cursors, go to the server together and their results come
    back together when the block ends (psycopg's pipeline mode): on a busy machine each round trip waits for the
    server process to be scheduled, and this makes several one. Read the results after the block (a fetch inside
    waits for them there, costing the round trip saved). Each statement is still one statement, with its own
    snapshot and in the transaction's order; the first that fails raises at the end of the block as Django's error,
    and the ones queued after it do not run. Opening a transaction (psycopg's BEGIN) is a round trip of its own."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        yield
