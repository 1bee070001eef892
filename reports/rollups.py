"""Fill the daily rollup tables: one Beijing calendar day at a time, rewritten whole and idempotently.

`rollup_day` deletes the day's rows and inserts them again from the apps' fact queries with
INSERT ... SELECT, in one transaction under an advisory lock on the day: a retried or concurrent
run leaves exactly one copy, and readers see the old day or the new one, never half of it.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from aftersales import selectors as aftersales_selectors
from chat import selectors as chat_selectors
from core.facts import FactQuery, local_day
from reports.models import AfterSalesDaily, AgentActivityDaily, ChatDaily, DailyRollup, RollupRun, TicketDaily
from tickets import selectors as ticket_selectors

# An arbitrary constant that keeps this module's advisory locks apart from anyone else's.
_LOCK_NAMESPACE = 8_0002


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight in the project's time zone (Asia/Shanghai has no DST, but stay general)."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_today() -> date:
    return timezone.localdate()


def fact_tables() -> list[tuple[type[DailyRollup], FactQuery]]:
    return [
        (TicketDaily, ticket_selectors.ticket_daily_facts()),
        (ChatDaily, chat_selectors.chat_daily_facts()),
        (AfterSalesDaily, aftersales_selectors.aftersales_daily_facts()),
        (AgentActivityDaily, agent_activity_facts()),
    ]


def agent_activity_facts() -> FactQuery:
    """Messages per agent and the distinct clock hours they were sent in, ticket replies and chat together."""
    sent = f"{ticket_selectors.agent_reply_times_sql()} UNION ALL {chat_selectors.agent_message_times_sql()}"
    measures = "COUNT(*)::bigint AS messages, COUNT(DISTINCT date_trunc('hour', created_at))::bigint AS active_hours"
    return FactQuery(
        keys=("agent_id",), measures=("messages", "active_hours"),
        sql=f"SELECT agent_id, {measures} FROM ({sent}) AS sent WHERE agent_id IS NOT NULL GROUP BY agent_id",  # noqa: S608
        daily_sql=(f"SELECT {local_day('created_at')} AS day, agent_id, {measures} FROM ({sent}) AS sent "  # noqa: S608
                   "WHERE agent_id IS NOT NULL GROUP BY 1, agent_id"),
    )


def _insert(cursor: CursorWrapper, model: type[DailyRollup], fact: FactQuery, params: dict[str, Any]) -> None:
    columns = ", ".join(fact.keys + fact.measures)
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} (day, {columns}) SELECT %(day)s, {columns} FROM ({fact.sql}) AS facts",  # noqa: S608
        params,
    )


@transaction.atomic
def rollup_day(*, day: date) -> None:
    start, end = day_bounds(day)
    params: dict[str, Any] = {"day": day, "start": start, "end": end}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, day.toordinal()])
        for model, fact in fact_tables():
            model._default_manager.filter(day=day).delete()
            _insert(cursor, model, fact, params)
    RollupRun.objects.update_or_create(day=day, defaults={"finished_at": timezone.now()})


def days_between(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class UnfinishedDay(ValueError):
    pass


def rollup_range(*, first: date, last: date) -> int:
    """Roll up every day from `first` to `last` inclusive, each in its own transaction.

    Today and later are refused: their facts are still arriving, and the dashboards read today live.
    """
    if last >= local_today():
        raise UnfinishedDay(last)
    count = 0
    for day in days_between(first, last):
        rollup_day(day=day)
        count += 1
    return count
