"""Keyset pagination (the seek method), the one way HTML lists page: "the rows after this one" by a row
comparison on the sort key, which PostgreSQL answers from a matching index, never by OFFSET.

A `Keyset` names the ascending sort fields (the last one unique, usually "id"). Its cursor is the last row's
key, URL-safe; it comes back from the browser, so `decode` checks every part (an impossible date or an id past
bigint is None, and the page decides: the first page, or a 400 naming the parameter). The API pages with DRF's
own cursor pagination (core.api.DefaultCursorPagination).
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


@dataclass(frozen=True)
class Keyset:
    fields: tuple[str, ...]

    def cursor_for(self, row: models.Model) -> str:
        values = [getattr(row, name) for name in self.fields]
        text = json.dumps([value.isoformat() if isinstance(value, datetime) else value for value in values])
        return base64.urlsafe_b64encode(text.encode()).decode()

    def decode(self, model: type[models.Model], cursor: str) -> tuple[Any, ...] | None:
        """The key in `cursor`, each part checked against its field; None when any part is not valid."""
        try:
            parts = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(parts, list) or len(parts) != len(self.fields):
            return None
        values = [_checked(model._meta.get_field(name), part) for name, part in zip(self.fields, parts, strict=True)]
        return None if any(value is None for value in values) else tuple(values)

    def after(self, queryset: QuerySet[Row], key: Sequence[Any]) -> QuerySet[Row]:
        """The rows after `key`: one row comparison, `(due_at, id) > (%s, %s)`, that an index on the sort
        fields seeks to (the equivalent OR of conditions makes PostgreSQL filter instead)."""
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        columns = ", ".join(f"{table}.{connection.ops.quote_name(_column(queryset.model, name))}"
                            for name in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        after_key = RawSQL(f"({columns}) > ({placeholders})", list(key),  # noqa: S611 (quoted names, values bound)
                           output_field=BooleanField())
        return cast("QuerySet[Row]", queryset.alias(keyset_after=after_key).filter(keyset_after=True))

    def page(self, queryset: QuerySet[Row], *, key: Sequence[Any] | None, limit: int) -> KeysetPage[Row]:
        """One page of `queryset` in key order after `key` (None: the first page)."""
        if key is not None:
            queryset = self.after(queryset, key)
        rows = list(queryset.order_by(*self.fields)[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return KeysetPage(rows=rows, next_cursor=self.cursor_for(rows[-1]) if more and rows else None)


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
