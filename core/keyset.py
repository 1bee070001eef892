"""Keyset pagination (the seek method), the one way HTML lists page: "the rows after this one" by a row
comparison on the sort key, which PostgreSQL answers from a matching index, never by OFFSET.

A `Keyset` names the sort fields (the last one unique, usually "id"), all ascending ("due_at", "id") or all
descending ("-id"); it seeks with `>` or `<` to match. Its cursor is the last row's key, URL-safe; a cursor made
to page backward (`previous`) carries a flag. It comes back from the browser, so `decode` checks every part (an
impossible date or an id past bigint is None, and the page decides: the first page, or a 400 naming the
parameter). HTML lists and the API (core.api.KeysetPagination: `next` / `previous` links) both page with it.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from django.db import connection, models
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

Row = TypeVar("Row", bound=models.Model)
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class KeysetPage(Generic[Row]):
    rows: list[Row]
    next_cursor: str | None  # None on the last page
    previous_cursor: str | None = None  # None on the first page (and on every page reached without a cursor)


@dataclass(frozen=True)
class Position:
    """Where a cursor stands: after `key` in sort order, or (`backward`) before it."""

    key: tuple[Any, ...]
    backward: bool = False


@dataclass(frozen=True)
class Keyset:
    fields: tuple[str, ...]

    def __post_init__(self) -> None:
        directions = {name.startswith("-") for name in self.fields}
        assert self.fields and len(directions) == 1, f"a keyset sorts all ascending or all descending: {self.fields}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name.removeprefix("-") for name in self.fields)

    @property
    def descending(self) -> bool:
        return self.fields[0].startswith("-")

    def cursor_for(self, row: models.Model, *, backward: bool = False) -> str:
        values = [getattr(row, name) for name in self.names]
        parts: Any = [value.isoformat() if isinstance(value, datetime) else value for value in values]
        text = json.dumps({"before": parts} if backward else parts)
        return base64.urlsafe_b64encode(text.encode()).decode()

    def decode(self, model: type[models.Model], cursor: str) -> tuple[Any, ...] | None:
        """The key in a forward `cursor`, each part checked against its field; None when any part is not valid."""
        position = self.position(model, cursor)
        return position.key if position is not None and not position.backward else None

    def position(self, model: type[models.Model], cursor: str) -> Position | None:
        """Where `cursor` (forward or backward) stands, each part checked; None when any part is not valid."""
        try:
            parts = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
            return None
        backward = isinstance(parts, dict) and set(parts) == {"before"}
        if backward:
            parts = parts["before"]
        if not isinstance(parts, list) or len(parts) != len(self.fields):
            return None
        values = [_checked(model._meta.get_field(name), part) for name, part in zip(self.names, parts, strict=True)]
        return None if any(value is None for value in values) else Position(tuple(values), backward=backward)

    def after(self, queryset: QuerySet[Row], key: Sequence[Any], *, backward: bool = False) -> QuerySet[Row]:
        """The rows after `key` in sort order (`backward`: before it): one row comparison,
        `(due_at, id) > (%s, %s)` (`<` for a descending key), that an index on the sort fields seeks to
        (the equivalent OR of conditions makes PostgreSQL filter instead)."""
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        columns = ", ".join(f"{table}.{connection.ops.quote_name(_column(queryset.model, name))}"
                            for name in self.names)
        placeholders = ", ".join(["%s"] * len(self.fields))
        operator = "<" if self.descending != backward else ">"
        after_key = RawSQL(f"({columns}) {operator} ({placeholders})", list(key),  # noqa: S611 (quoted names, values bound)
                           output_field=BooleanField())
        return cast("QuerySet[Row]", queryset.alias(keyset_after=after_key).filter(keyset_after=True))

    def page(self, queryset: QuerySet[Row], *, key: Sequence[Any] | None, limit: int,
             backward: bool = False) -> KeysetPage[Row]:
        """One page of `queryset` in key order after `key` (None: the first page); `backward`: the page
        just before `key`, still in key order."""
        if key is not None:
            queryset = self.after(queryset, key, backward=backward)
        order = [name.removeprefix("-") if name.startswith("-") else f"-{name}" for name in self.fields] \
            if backward else list(self.fields)
        rows = list(queryset.order_by(*order)[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        if backward:
            rows.reverse()
            return KeysetPage(rows=rows, next_cursor=self.cursor_for(rows[-1]) if rows else None,
                              previous_cursor=self.cursor_for(rows[0], backward=True) if more and rows else None)
        return KeysetPage(rows=rows, next_cursor=self.cursor_for(rows[-1]) if more and rows else None,
                          previous_cursor=self.cursor_for(rows[0], backward=True) if key is not None and rows
                          else None)


def _checked(field: Any, value: Any) -> Any:
    if isinstance(field, models.DateTimeField):
        try:
            moment = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            return None
        if moment is None or moment.tzinfo is None:
            return None
        try:
            moment.astimezone(UTC)  # 0001-01-01T00:00+14:00 is before year 1 in UTC: no database takes it
        except OverflowError:
            return None
        return moment
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= BIGINT_MAX else None
    return None


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, f"{name} is not a column of {model.__name__}"
    return field.column
