"""Every API date-time carries an ISO offset of whole minutes: +08:00 (Beijing), or Z where Beijing
time had local mean time (+08:05:43 before 1901) or would leave the datetime range (issue 17 item 2)."""

import re
from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from aftersales.api import OrderSerializer
from core.serializers import DateTimeField

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2026, 3, 1, 4, 0, tzinfo=UTC), "2026-03-01T12:00:00+08:00"),
    (datetime(1900, 1, 1, 0, 0, tzinfo=UTC), "1900-01-01T00:00:00Z"),
    (datetime(1, 1, 1, 0, 0, tzinfo=UTC), "0001-01-01T00:00:00Z"),
    (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), "9999-12-31T23:00:00Z"),
    (datetime(1950, 6, 1, 0, 0), "1950-06-01T08:00:00+08:00"),  # naive: read as UTC, as the database stores it
], ids=["modern", "local-mean-time", "year-1", "year-9999", "naive"])
def test_every_rendered_datetime_has_a_whole_minute_offset(value: datetime, expected: str) -> None:
    rendered = DateTimeField().to_representation(value)
    assert rendered == expected
    assert ISO_WITH_OFFSET.match(rendered)


def test_model_serializers_render_date_times_through_the_core_field() -> None:
    fields = OrderSerializer().fields
    model_datetimes = [name for name, field in fields.items() if isinstance(field, serializers.DateTimeField)]
    assert model_datetimes
    assert all(isinstance(fields[name], DateTimeField) for name in model_datetimes), model_datetimes
