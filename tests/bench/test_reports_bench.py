"""Reports figures at BENCH_SCALE tickets (default 100,000; the issue's figure is 1,000,000) spread over 90
days, bulk-loaded with generate_series: the dashboard (agent KPIs, team trends, after-sales figures) over
the 90 days read live without rollups and from the rollups (goal <= 1 s), the nightly rollup of a day,
and an export of 100,000 ticket rows (time, and peak Python memory by tracemalloc in a second run)."""

import math
import os
import time
import tracemalloc
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from profiles.roles import Role
from reports import exports, kpis, rollups, selectors
from reports.figures import Grain
from reports.models import ExportJob, RollupRun
from tests.bench.test_tickets_bench import _setup
from tests.bench.timing import percentiles, timed
from tests.factories import UserFactory

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
DAYS = 90
EXPORT_ROWS = 100_000


def _load(teams: list[Any], agents: list[Any], customers: list[Any]) -> float:
    """SCALE tickets created evenly over the last DAYS days (today included): 70 % solved within two days,
    90 % answered within two hours, one public agent reply per ticket, a survey on every tenth."""
    started = time.perf_counter()
    minutes = DAYS * 24 * 60
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (
                number, customer_id, channel, source, type, priority, status, tags, region, team_id,
                assignee_id, order_number, subject, due_at, sla_paused_seconds, nudge_count, escalation_level,
                created_at, first_responded_at, solved_at, updated_at)
            SELECT
                'R' || lpad(i::text, 10, '0'),
                (%(customers)s)[1 + i %% cardinality(%(customers)s)],
                (ARRAY['web','chat','email','phone','wechat','app'])[1 + i %% 6], 'bench', 'inquiry', 'normal',
                CASE WHEN i %% 10 < 7 THEN 'solved' ELSE 'open' END, ARRAY[]::varchar[], '',
                (%(teams)s)[1 + i %% cardinality(%(teams)s)],
                (%(agents)s)[1 + i %% cardinality(%(agents)s)],
                '', '报表压测 ' || i, 'infinity', 0, 0, 0,
                created, CASE WHEN i %% 10 < 9 THEN created + (i %% 120) * interval '1 minute' END,
                CASE WHEN i %% 10 < 7 THEN created + (i %% 2880) * interval '1 minute' END, now()
            FROM (SELECT i, now() - (i %% %(minutes)s) * interval '1 minute' - interval '1 second' AS created
                  FROM generate_series(1, %(scale)s) AS i) AS g
            """,
            {"customers": [c.pk for c in customers], "teams": [t.pk for t in teams],
             "agents": [a.pk for a in agents], "scale": SCALE, "minutes": minutes},
        )
        # No parameters below, so % is the SQL operator as written.
        cursor.execute(
            """
            INSERT INTO tickets_ticketmessage (ticket_id, kind, author_id, from_customer, body, created_at)
            SELECT id, 'reply', assignee_id, false, '您好', first_responded_at
            FROM tickets_ticket WHERE first_responded_at IS NOT NULL AND number LIKE 'R%'
            """
        )
        cursor.execute(
            """
            INSERT INTO tickets_satisfactionsurvey (ticket_id, customer_id, sent_at, attitude, speed, result,
                                                    suggestion, submitted_at)
            SELECT id, customer_id, solved_at, 1 + id % 5, 1 + id % 4, 2 + id % 4, '', solved_at + interval '1 hour'
            FROM tickets_ticket WHERE solved_at IS NOT NULL AND id % 10 = 0 AND number LIKE 'R%'
            """
        )
        cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_ticketmessage; ANALYZE tickets_satisfactionsurvey")
    return time.perf_counter() - started


def _dashboard(first: Any, last: Any) -> None:
    kpis.agent_kpis(first=first, last=last)
    selectors.trends(first=first, last=last, grain=Grain.DAY, by="team")
    selectors.aftersales_figures(first=first, last=last)


def test_reports_at_scale(report: Any, settings: Any, tmp_path: Any) -> None:
    settings.REPORTS_EXPORT_ROOT = str(tmp_path / "exports")
    teams, agents, customers, _policy = _setup()
    load_s = _load(teams, agents, customers)
    report("reports_bulk_load", tickets=SCALE, days=DAYS, seconds=round(load_s, 2))

    today = rollups.local_today()
    first, last = today - timedelta(days=DAYS - 1), today
    assert not RollupRun.objects.exists()
    live = timed(2, lambda: _dashboard(first, last))
    report("reports_dashboard_without_rollups", tickets=SCALE, days=DAYS, **percentiles(live))

    rollup_s = timed(1, lambda: rollups.rollup_range(first=first, last=today - timedelta(days=1)))[0] / 1000
    report("reports_rollup", tickets=SCALE, days=DAYS - 1, seconds=round(rollup_s, 2),
           seconds_per_day=round(rollup_s / (DAYS - 1), 3))
    rolled = timed(5, lambda: _dashboard(first, last))
    report("reports_dashboard_with_rollups", tickets=SCALE, days=DAYS, goal_ms=1000, **percentiles(rolled))

    # Enough whole days, ending yesterday, to hold EXPORT_ROWS tickets (all of them at a small scale).
    per_day = SCALE / DAYS
    export_days = min(DAYS - 1, math.ceil(EXPORT_ROWS / per_day))
    owner = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)

    def export(file_format: str) -> ExportJob:
        job = ExportJob.objects.create(owner=owner, dataset="tickets", file_format=file_format,
                                       date_from=today - timedelta(days=export_days), date_to=today,
                                       include_pii=True)
        done = exports.export_run(job_id=job.pk)
        assert done is not None
        return done

    for file_format in ("csv", "xlsx"):
        started = time.perf_counter()
        job = export(file_format)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        export(file_format)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report(f"reports_export_{file_format}", rows=job.rows_done, seconds=round(seconds, 2),
               rows_per_second=round(job.rows_done / seconds), peak_python_mib=round(peak / 2**20, 1),
               file_mib=round(job.file.size / 2**20, 1))
