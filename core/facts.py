"""Grouped fact queries for reports, written once so every app's report selector has the same shape.

A day's facts come from several events (a ticket created, solved, reopened, rated ...), each found in a
different table by a different time column. Each event is one `Branch`: a SELECT over its own table,
filtered on its own time column `when`, that yields the grouping keys and the measures it knows (0 for
the rest). The branches are joined with UNION ALL and summed per key in the database, so a window is a
handful of indexed scans and one aggregate: no rows travel to Python. Hand-written SQL because the ORM
cannot UNION differently-shaped aggregates and then group them; the reports app inserts the result
with INSERT ... SELECT.

Parameters: `%(start)s` and `%(end)s` (a half-open time window) and, for `daily_sql`, `%(tz)s` (the
time-zone name whose calendar days the `day` column follows).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone


@dataclass(frozen=True)
class Branch:
    keys: Mapping[str, str]
    measures: Mapping[str, str]
    source: str
    when: str
    where: str = field(default="")


@dataclass(frozen=True)
class FactQuery:
    """`sql`: one row per distinct key, every measure summed; columns are keys then measures.
    `daily_sql`: the same with a leading `day` column, for a window of several days."""

    keys: tuple[str, ...]
    measures: tuple[str, ...]
    sql: str
    daily_sql: str

    def rows(self, *, start: datetime, end: datetime, daily: bool = False) -> list[dict[str, Any]]:
        """The facts of one window, read directly (the days not rolled up yet, such as today)."""
        params: dict[str, Any] = {"start": start, "end": end, "tz": timezone.get_default_timezone_name()}
        with connection.cursor() as cursor:
            cursor.execute(self.daily_sql if daily else self.sql, params)
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def in_window(column: str) -> str:
    return f"{column} >= %(start)s AND {column} < %(end)s"


def local_day(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)::date"


def seconds_between(start: str, end: str) -> str:
    """Seconds from `start` to `end`, never negative: an end recorded before its start (an import, a
    skewed clock) counts as no time rather than pulling an average below zero (NULL stays NULL)."""
    return f"CASE WHEN {end} < {start} THEN 0 ELSE EXTRACT(EPOCH FROM ({end} - {start})) END"


def _union(keys: Sequence[str], measures: Sequence[str], branches: Sequence[Branch], *, daily: bool) -> str:
    selects = []
    for branch in branches:
        unknown = (set(branch.keys) - set(keys)) | (set(branch.measures) - set(measures))
        if unknown:
            raise ValueError(f"branch names columns outside the fact: {sorted(unknown)}")
        columns = [f"{local_day(branch.when)} AS day"] if daily else []
        columns += [f"{branch.keys[key]} AS {key}" for key in keys]
        columns += [f"{branch.measures.get(measure, '0')}::bigint AS {measure}" for measure in measures]
        where = in_window(branch.when) + (f" AND {branch.where}" if branch.where else "")
        selects.append(f"SELECT {', '.join(columns)} FROM {branch.source} WHERE {where}")  # noqa: S608 (identifiers from model meta, values as parameters)
    return "\nUNION ALL\n".join(selects)


def grouped_facts(*, keys: Sequence[str], measures: Sequence[str], branches: Sequence[Branch]) -> FactQuery:
    sums = ", ".join(f"SUM({measure})::bigint AS {measure}" for measure in measures)
    sql, daily_sql = (
        f"SELECT {', '.join(group)}, {sums} FROM (\n{_union(keys, measures, branches, daily=daily)}\n) AS facts "  # noqa: S608 (identifiers from model meta, values as parameters)
        f"GROUP BY {', '.join(group)}"
        for daily, group in ((False, list(keys)), (True, ["day", *keys]))
    )
    return FactQuery(keys=tuple(keys), measures=tuple(measures), sql=sql, daily_sql=daily_sql)
