"""The one keyset paginator: pages in key order by a row comparison, cursors checked when they come back."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from core.keyset import Keyset
from core.models import OutboxMessage

pytestmark = pytest.mark.django_db
KEYSET = Keyset(("available_at", "id"))
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_pages_walk_every_row_once_in_key_order_ties_broken_by_id() -> None:
    # Two rows per moment: the id breaks the tie, so no row is skipped or repeated at a page boundary.
    rows = [OutboxMessage.objects.create(task_name="t", kwargs={}, available_at=START + timedelta(minutes=n // 2))
            for n in range(7)]
    seen, cursor = [], None
    while True:
        page = KEYSET.page(OutboxMessage.objects.all(), key=KEYSET.decode(OutboxMessage, cursor) if cursor else None,
                           limit=3)
        seen += [row.pk for row in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [row.pk for row in rows]


def test_a_cursor_round_trips_and_hand_edited_ones_are_refused() -> None:
    row = OutboxMessage.objects.create(task_name="t", kwargs={}, available_at=START)
    assert KEYSET.decode(OutboxMessage, KEYSET.cursor_for(row)) == (START, row.pk)

    def cursor(*parts: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()

    for bad in ("garbage", "", cursor(START.isoformat()), cursor("2026-11-23T02:00:00", 1),
                cursor("0001-01-01T00:00:00+14:00", 1), cursor(START.isoformat(), 2**63),
                cursor(START.isoformat(), -1), cursor(START.isoformat(), True), cursor(START.isoformat(), "1")):
        assert KEYSET.decode(OutboxMessage, bad) is None, bad
