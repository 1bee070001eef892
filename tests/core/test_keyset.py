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


NEWEST_FIRST = Keyset(("-available_at", "-id"))


def _walk(keyset: Keyset, limit: int) -> list[list[int]]:
    """Every page's ids, following next cursors from the first page."""
    pages, key = [], None
    while True:
        page = keyset.page(OutboxMessage.objects.all(), key=key, limit=limit)
        pages.append([row.pk for row in page.rows])
        if page.next_cursor is None:
            return pages
        key = keyset.decode(OutboxMessage, page.next_cursor)


def test_a_descending_keyset_pages_newest_first_ties_broken_by_id_and_the_last_page_has_no_next() -> None:
    rows = [OutboxMessage.objects.create(task_name="t", kwargs={}, available_at=START + timedelta(minutes=n // 2))
            for n in range(7)]
    newest_first = [row.pk for row in sorted(rows, key=lambda row: (row.available_at, row.pk), reverse=True)]
    assert _walk(NEWEST_FIRST, 3) == [newest_first[:3], newest_first[3:6], newest_first[6:]]
    first = NEWEST_FIRST.page(OutboxMessage.objects.all(), key=None, limit=3)
    assert first.previous_cursor is None  # nothing before the first page
    # A page that holds exactly the rest has no next.
    assert NEWEST_FIRST.page(OutboxMessage.objects.all(), key=None, limit=7).next_cursor is None
    # The seek is one row comparison with <, not OFFSET.
    after = str(NEWEST_FIRST.after(OutboxMessage.objects.all(), (START, rows[0].pk)).query)
    assert ') < (' in after and "OFFSET" not in after
    id_only = Keyset(("-id",))
    assert [pk for page in _walk(id_only, 2) for pk in page] == sorted((row.pk for row in rows), reverse=True)


@pytest.mark.parametrize("keyset", [KEYSET, NEWEST_FIRST], ids=["ascending", "descending"])
def test_previous_cursors_page_back_to_the_page_before(keyset: Keyset) -> None:
    for n in range(7):
        OutboxMessage.objects.create(task_name="t", kwargs={}, available_at=START + timedelta(minutes=n // 2))
    pages: list[list[int]] = []
    cursors: list[str | None] = []
    key = None
    while True:
        page = keyset.page(OutboxMessage.objects.all(), key=key, limit=3)
        pages.append([row.pk for row in page.rows])
        cursors.append(page.previous_cursor)
        if page.next_cursor is None:
            break
        key = keyset.decode(OutboxMessage, page.next_cursor)
    assert cursors[0] is None and all(cursors[1:])
    for index in (2, 1):
        cursor = cursors[index]
        assert cursor is not None
        position = keyset.position(OutboxMessage, cursor)
        assert position is not None and position.backward
        assert keyset.decode(OutboxMessage, cursor) is None  # a backward cursor is not a forward key
        back = keyset.page(OutboxMessage.objects.all(), key=position.key, limit=3, backward=True)
        assert [row.pk for row in back.rows] == pages[index - 1]
        assert (back.previous_cursor is None) == (index == 1)  # back on the first page: nothing before it
        assert back.next_cursor is not None


def test_a_descending_cursor_round_trips_and_hand_edited_ones_are_refused() -> None:
    row = OutboxMessage.objects.create(task_name="t", kwargs={}, available_at=START)
    assert NEWEST_FIRST.decode(OutboxMessage, NEWEST_FIRST.cursor_for(row)) == (START, row.pk)

    def cursor(parts: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()

    for bad in ("garbage", cursor({"before": [START.isoformat()]}), cursor({"after": [START.isoformat(), 1]}),
                cursor({"before": [START.isoformat(), -1]}), cursor([START.isoformat(), 2**63]),
                base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()):
        assert NEWEST_FIRST.position(OutboxMessage, bad) is None, bad


def test_mixed_directions_are_refused() -> None:
    with pytest.raises(AssertionError):
        Keyset(("-available_at", "id"))
