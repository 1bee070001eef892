"""A lookup by one value whose SQL Django compiles once per thread and database, not on every call.

Two reads run on nearly every request: the signed-in user with their customer profile (the auth backend) and, on the
API's create, the named customer with their user. Both select ~60 columns over a join, and compiling that queryset
(columns, joins, ordering) cost more CPU than running it. `PreparedLookup` compiles the queryset once with a marker
value, then runs the same SQL with the real value and turns the row into objects with Django's own pieces (its
converters, `Model.from_db`, select_related's populators), so the objects are the ones the queryset would give.
Only for querysets without a per-call part other than the one value (no dates, no user input in the SQL).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

# An id no row has: it marks where the value goes among the compiled parameters.
_MARKER = -7_346_921_958_213


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    position: int
    compiler: Any
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]
    converters: dict[int, Any]


class PreparedLookup(Generic[M]):
    """`get(value)`: the first object of `build().filter(<field>=value)`, or None."""

    def __init__(self, model: type[M], build: Callable[[], QuerySet[M]], field: str) -> None:
        self._model = model
        self._build = build
        self._field = field
        # Per thread: the compiler keeps the connection it compiled with, and connections are per thread.
        self._local = threading.local()

    def _compile(self, alias: str) -> _Compiled:
        queryset = self._build().filter(**{self._field: _MARKER}).order_by("pk")[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql, params=tuple(params), position=list(params).index(_MARKER), compiler=compiler,
            init_list=[column[0].target.attname for column in select[start:end]], start=start, end=end,
            populators=get_related_populators(klass_info, select, alias),  # type: ignore[call-arg]
            converters=compiler.get_converters([column[0] for column in select[0 : compiler.col_count]]),
        )

    def get(self, value: int) -> M | None:
        model = self._model
        alias = router.db_for_read(model)
        by_alias: dict[str, _Compiled] = self._local.__dict__.setdefault("compiled", {})
        compiled = by_alias.get(alias)
        if compiled is None:
            compiled = by_alias[alias] = self._compile(alias)
        params = list(compiled.params)
        params[compiled.position] = int(value)
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            [row] = list(compiled.compiler.apply_converters([row], compiled.converters))
        obj: M = model.from_db(alias, compiled.init_list, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj
