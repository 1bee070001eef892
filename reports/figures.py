"""Summed facts over a date range: the rollup tables for the days rolled up, live queries for the rest.

Every dashboard reads through `totals`. Days with a `RollupRun` come from the rollup table in one
grouped query; every other day of the range (today, always, and any day never rolled up) comes from
one live fact query over the span from the first such day to now, grouped by day in the database.
The two sides are merged per key in Python, over aggregated rows only (teams x channels x agents at
most), never over tickets.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import Model, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from core.facts import FactQuery
from reports.models import RollupRun
from reports.rollups import day_bounds, fact_tables, local_today

Key = tuple[Any, ...]
Measures = dict[str, int]


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_TRUNC = {Grain.DAY: TruncDay, Grain.WEEK: TruncWeek, Grain.MONTH: TruncMonth}


def period_start(day: date, grain: Grain) -> date:
    """The first day of `day`'s period; weeks start on Monday, as PostgreSQL's date_trunc does."""
    if grain == Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain == Grain.MONTH:
        return day.replace(day=1)
    return day


def fact_for(model: type[Model]) -> FactQuery:
    return next(fact for table, fact in fact_tables() if table is model)


def _live_days(first: date, last: date) -> tuple[date | None, set[date]]:
    """The first day of the range that must be read live, and the days that are rolled up."""
    rolled = set(RollupRun.objects.filter(day__range=(first, last)).values_list("day", flat=True))
    today = local_today()
    day = first
    while day <= min(last, today):
        if day not in rolled or day == today:
            return day, rolled
        day += timedelta(days=1)
    return None, rolled


def totals(model: type[Model], *, first: date, last: date, by: Sequence[str] = (),
           grain: Grain | None = None) -> dict[Key, Measures]:
    """Measures summed per `by` key (plus the period start first when `grain` is given)."""
    fact = fact_for(model)
    result: dict[Key, Measures] = defaultdict(lambda: dict.fromkeys(fact.measures, 0))
    live_from, rolled = _live_days(first, last)

    # Today is always live, even if someone rolled it up by hand: its facts are still arriving.
    rollup = model._default_manager.filter(day__range=(first, last)).exclude(day=local_today())
    fields = list(by)
    if grain is not None:
        rollup = rollup.annotate(period=_TRUNC[grain]("day"))
        fields = ["period", *fields]
    for row in rollup.values(*fields).annotate(**{m: Sum(m) for m in fact.measures}).order_by():
        _add(result[tuple(row[f] for f in fields)], row, fact.measures)

    if live_from is not None:
        start = day_bounds(live_from)[0]
        end = min(day_bounds(last)[1], timezone.now())
        for row in fact.rows(start=start, end=end, daily=True):
            if row["day"] in rolled and row["day"] != local_today():
                continue
            key = tuple(row[f] for f in by)
            if grain is not None:
                key = (period_start(row["day"], grain), *key)
            _add(result[key], row, fact.measures)
    return dict(result)


def _add(target: Measures, row: dict[str, Any], measures: Sequence[str]) -> None:
    for measure in measures:
        target[measure] += int(row[measure] or 0)
