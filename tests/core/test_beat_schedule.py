"""Every app's beat entries, as the migrations (through core.beat_schedule) leave them in a fresh database."""

from typing import Any

import pytest
from django.apps import apps as installed
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from core.beat_schedule import DailyAt, Every, schedule, unschedule
from tests.migration_replay import replay_schedule

pytestmark = pytest.mark.django_db

EXPECTED = {
    "aftersales.tasks.sweep_deadlines": Every(60),
    "aftersales.tasks.reconcile_refunds": Every(60),
    "aftersales.tasks.segment_customers": DailyAt(2, 30),
    "knowledge.tasks.sweep_article_schedule": Every(300),
    "knowledge.tasks.draft_faqs_nightly": DailyAt(3, 30),
    "profiles.tasks.mark_stale_agents_away": Every(60),
    "profiles.tasks.apply_tag_rules": DailyAt(3, 0),
    "reports.tasks.rollup_yesterday": DailyAt(1, 30),
    "reports.tasks.send_scheduled_reports": Every(300),
    "core.tasks.sweep_webhooks": Every(60),
    "core.tasks.daily_backup": DailyAt(3, 30),
    "core.tasks.sweep_outbox": Every(30),
    "chat.tasks.assign_waiting": Every(60),
    "tickets.tasks.sweep_sla": Every(60),
    "tickets.tasks.poll_mailboxes": Every(60),
    "tickets.tasks.send_due_outbound": Every(60),
}
# Tasks that are gone: a later migration removes the entry an earlier one made.
REMOVED = ["tickets.tasks.send_due_emails"]


def _when(task: PeriodicTask) -> Every | DailyAt:
    if task.interval is not None:
        assert task.interval.period == "seconds"
        return Every(task.interval.every)
    assert task.crontab is not None and str(task.crontab.timezone) == "Asia/Shanghai"
    assert (task.crontab.day_of_week, task.crontab.day_of_month, task.crontab.month_of_year) == ("*", "*", "*")
    return DailyAt(int(task.crontab.hour), int(task.crontab.minute))


SCHEDULE_MIGRATIONS = [
    "aftersales.migrations.0002_beat_schedule", "aftersales.migrations.0011_nightly_segments",
    "chat.migrations.0007_assign_waiting_schedule",
    "knowledge.migrations.0002_beat_schedules", "profiles.migrations.0003_presence_schedule",
    "profiles.migrations.0007_customer_360", "reports.migrations.0002_rollup_schedule",
    "reports.migrations.0004_report_mail_schedule", "core.migrations.0003_webhook_sweep_schedule",
    "core.migrations.0004_nightly_backup_schedule",
    "core.migrations.0007_outbox_sweep_schedule", "tickets.migrations.0002_sla_sweep_schedule",
    "tickets.migrations.0003_email_channel", "tickets.migrations.0005_outbound_schedule",
    "tickets.migrations.0008_email_send_schedule", "tickets.migrations.0010_one_outbound_sweep",
]


def test_the_migrations_schedule_every_periodic_task_once_and_enabled() -> None:
    # Twice each: a re-run must not duplicate (and an earlier transactional test may have flushed them).
    for module in SCHEDULE_MIGRATIONS * 2:
        replay_schedule(module, installed)
    assert PeriodicTask.objects.filter(name__in=list(EXPECTED)).count() == len(EXPECTED)
    found = {task.name: task for task in PeriodicTask.objects.select_related("interval", "crontab")
             if task.name in EXPECTED}
    assert {name: _when(task) for name, task in found.items()} == EXPECTED
    assert all(task.enabled and task.task == name for name, task in found.items())
    assert not PeriodicTask.objects.filter(name__in=REMOVED).exists()


def test_a_rerun_keeps_an_operators_edit_and_reversing_removes_the_entry() -> None:
    replay_schedule("tickets.migrations.0002_sla_sweep_schedule", installed)
    PeriodicTask.objects.filter(name="tickets.tasks.sweep_sla").update(enabled=False)
    operation = schedule({"tickets.tasks.sweep_sla": Every(60)})
    forward: Any = operation.code
    backward: Any = operation.reverse_code
    forward(installed, None)
    assert PeriodicTask.objects.get(name="tickets.tasks.sweep_sla").enabled is False
    before = PeriodicTasks.objects.get(ident=1).last_update
    backward(installed, None)
    assert not PeriodicTask.objects.filter(name="tickets.tasks.sweep_sla").exists()
    assert PeriodicTasks.objects.get(ident=1).last_update >= before


def test_unscheduling_removes_a_gone_tasks_entry_and_reversing_puts_it_back() -> None:
    replay_schedule("tickets.migrations.0008_email_send_schedule", installed)
    operation = unschedule({"tickets.tasks.send_due_emails": Every(60)})
    forward: Any = operation.code
    backward: Any = operation.reverse_code
    forward(installed, None)
    assert not PeriodicTask.objects.filter(name="tickets.tasks.send_due_emails").exists()
    backward(installed, None)
    assert _when(PeriodicTask.objects.get(name="tickets.tasks.send_due_emails")) == Every(60)
