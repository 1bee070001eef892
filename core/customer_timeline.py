"""A customer's history across every app, newest first: the customer-360 timeline.

The desk's customer page lives in profiles, which may not import the apps that hold the history
(tickets, chat, after-sales). So each of those apps registers a provider at start-up
(`AppConfig.ready`) that returns its own rows as the plain `TimelineEntry` below, and `timeline_page`
merges them.

Paging is by keyset, never by offset: entries are ordered by (when, kind, pk) descending and a page
ends at a `Cursor`; the next page asks every provider for the entries strictly older than it. A
provider narrows its queryset to the customer and hands it to `newest(...)` (which pages with
`older_than(cursor, ...)`), returns at most `limit` entries and runs a constant number of queries
whatever the customer.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django_stubs_ext import StrOrPromise

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True, order=True)
class Cursor:
    when: datetime
    kind: str
    pk: int

    def encode(self) -> str:
        return f"{self.when.isoformat()}~{self.kind}~{self.pk}"

    @classmethod
    def decode(cls, text: str) -> "Cursor | None":
        """The cursor of an "older" link, or None when the text is not one (a hand-edited address)."""
        parts = text.split("~")
        if len(parts) != 3 or not parts[2].isdigit():
            return None
        try:
            when = datetime.fromisoformat(parts[0])
        except ValueError:
            return None
        if when.tzinfo is None:
            return None
        return cls(when=when, kind=parts[1], pk=int(parts[2]))


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # e.g. "ticket", "ticket_message", "chat", "aftersales_request", "order"
    pk: int  # the row's primary key within its kind; with `when` and `kind` it orders entries totally
    kind_label: StrOrPromise
    title: str
    summary: str = ""
    url: str = ""  # the desk's page for the row ("" when there is none)
    channel: StrOrPromise = ""  # how the customer reached us (web, chat, email, phone…), "" when not a contact

    @property
    def cursor(self) -> Cursor:
        return Cursor(when=self.when, kind=self.kind, pk=self.pk)


@dataclass(frozen=True)
class TimelinePage:
    entries: tuple[TimelineEntry, ...]
    older: Cursor | None  # where the next (older) page starts; None on the last page


Provider = Callable[[int, "Cursor | None", int], list[TimelineEntry]]  # (customer id, before, limit)
_providers: list[Provider] = []

PAGE_SIZE = 30


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def older_than(cursor: Cursor | None, *, kind: str, when_field: str, pk_field: str = "pk") -> Q:
    """The filter a provider of `kind` applies so that it returns only entries after `cursor` in the
    timeline's order (when, kind, pk) descending. An empty Q (everything) without a cursor."""
    if cursor is None:
        return Q()
    same_instant = Q(**{when_field: cursor.when})
    if kind < cursor.kind:
        tie = same_instant
    elif kind == cursor.kind:
        tie = same_instant & Q(**{f"{pk_field}__lt": cursor.pk})
    else:
        tie = Q(pk__in=[])
    return Q(**{f"{when_field}__lt": cursor.when}) | tie


def newest(rows: QuerySet[_M], before: Cursor | None, *, kind: str, when_field: str, limit: int) -> QuerySet[_M]:
    """The `limit` newest of `rows` (already narrowed to the customer) that come after `before` in the
    timeline's order, newest first: one provider kind's share of a page."""
    return rows.filter(older_than(before, kind=kind, when_field=when_field)).order_by(f"-{when_field}", "-pk")[:limit]


def timeline_page(customer_id: int, *, before: Cursor | None = None, limit: int = PAGE_SIZE) -> TimelinePage:
    """The `limit` newest entries of every provider older than `before`, merged newest first."""
    found: list[TimelineEntry] = []
    for provider in _providers:
        found.extend(provider(customer_id, before, limit + 1))
    found.sort(key=lambda entry: entry.cursor, reverse=True)
    page = tuple(found[:limit])
    return TimelinePage(entries=page, older=page[-1].cursor if len(found) > limit else None)
