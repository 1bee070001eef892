"""Human request numbers, AS + YYYYMMDD + 5 digits, from one atomic upsert per number."""

from datetime import datetime

from django.db import connection
from django.utils import timezone

from aftersales.models import RequestNumberCounter

PREFIX = "AS"


def next_request_number(now: datetime | None = None) -> str:
    """Race-free: the upsert takes the day's row lock until the caller's transaction ends."""
    day = timezone.localdate(now or timezone.now())
    table = RequestNumberCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 (table name from the model)
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (number,) = cursor.fetchone()
    return f"{PREFIX}{day:%Y%m%d}{number:05d}"
