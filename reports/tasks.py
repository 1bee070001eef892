"""Celery tasks of reports: thin wrappers around rollups and exports, safe to run twice."""

from datetime import timedelta

from celery import shared_task

from reports import exports, rollups, schedules


@shared_task(acks_late=True, ignore_result=True)
def rollup_yesterday() -> str:
    """Beat runs this at 01:30 Beijing time; a rerun rewrites the same day (rollup_day is idempotent)."""
    day = rollups.local_today() - timedelta(days=1)
    rollups.rollup_day(day=day)
    return day.isoformat()


@shared_task(acks_late=True, ignore_result=True)
def run_export(job_id: int) -> None:
    """A redelivered run rewrites an unfinished job and leaves a finished one alone (see export_run)."""
    exports.export_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def send_scheduled_reports() -> int:
    """Beat runs this every five minutes; rows already sent have moved on, so a rerun sends nothing twice."""
    return schedules.send_due()
