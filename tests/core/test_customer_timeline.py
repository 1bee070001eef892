"""`newest`: a provider kind's share of a timeline page, keyset-paged newest first."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core.customer_timeline import Cursor, newest
from core.models import IdempotencyRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.get_fixed_timezone(480))
KIND = "record"


def records() -> list[IdempotencyRecord]:
    """Four rows, two of them at the same instant; `expires_at` stands in for a timeline's when field."""
    user = UserFactory.create()
    whens = [T0 - timedelta(hours=2), T0 - timedelta(hours=1), T0, T0]
    return [IdempotencyRecord.objects.create(user=user, key=f"k{index}", request_fingerprint="f", expires_at=when)
            for index, when in enumerate(whens)]


def page(before: Cursor | None, limit: int = 10) -> list[int]:
    rows = newest(IdempotencyRecord.objects.all(), before, kind=KIND, when_field="expires_at", limit=limit)
    return [row.pk for row in rows]


def test_without_a_cursor_the_newest_come_first_ties_by_descending_pk_and_limit_caps() -> None:
    oldest, older, tied_low, tied_high = records()
    assert page(None) == [tied_high.pk, tied_low.pk, older.pk, oldest.pk]
    assert page(None, limit=2) == [tied_high.pk, tied_low.pk]


def test_a_cursor_of_the_same_kind_excludes_rows_at_and_after_it() -> None:
    oldest, older, tied_low, tied_high = records()
    assert page(Cursor(when=T0, kind=KIND, pk=tied_high.pk)) == [tied_low.pk, older.pk, oldest.pk]
    assert page(Cursor(when=T0, kind=KIND, pk=tied_low.pk)) == [older.pk, oldest.pk]
    assert page(Cursor(when=older.expires_at, kind=KIND, pk=older.pk), limit=1) == [oldest.pk]


def test_at_the_cursors_instant_other_kinds_break_the_tie_by_kind_name() -> None:
    oldest, older, tied_low, tied_high = records()
    # Entries order by (when, kind, pk) descending: a later kind name comes first at the same instant.
    assert page(Cursor(when=T0, kind="zzz", pk=0)) == [tied_high.pk, tied_low.pk, older.pk, oldest.pk]
    assert page(Cursor(when=T0, kind="aaa", pk=10**9)) == [older.pk, oldest.pk]
