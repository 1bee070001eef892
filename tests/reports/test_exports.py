"""Exports end to end: asked for on the page, written by the (eager) Celery task in batches, read back as
CSV and XLSX; personal data masked without view_pii; the owner alone downloads; every export audited."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import load_workbook

from profiles.models import AuditEntry
from profiles.roles import Role
from reports import exports
from reports.models import ExportJob
from service_center.celery import app
from tests.clients import logged_in
from tests.factories import UserFactory
from tests.reports.factories import ServiceDay, make_ticket, service_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(settings: Any, tmp_path: Any) -> Iterator[ServiceDay]:
    settings.REPORTS_EXPORT_ROOT = str(tmp_path / "exports")
    settings.REPORTS_EXPORT_BATCH = 2  # several progress updates even for a handful of rows
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # .delay() runs the export task in this process
    try:
        yield service_day()
    finally:
        app.conf.task_always_eager = eager


def _ask(client: Any, day: ServiceDay, capture: Any, **data: str) -> Any:
    form = {"dataset": "tickets", "file_format": "csv", "date_from": (day.day - timedelta(days=1)).isoformat(),
            "date_to": day.day.isoformat(), **data}
    with capture(execute=True):
        return client.post("/reports/exports/", form)


def test_csv_export_of_tickets_end_to_end(day: ServiceDay, django_capture_on_commit_callbacks: Any) -> None:
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    client = logged_in(supervisor)
    response = _ask(client, day, django_capture_on_commit_callbacks)
    assert response.status_code == 302

    job = ExportJob.objects.get(owner=supervisor)
    assert (job.status, job.rows_done, job.rows_total, job.include_pii) == ("done", 5, 5, True)
    listing = client.get("/reports/exports/").content.decode()
    assert f'href="/reports/exports/{job.pk}/download/"' in listing
    assert '<progress max="100" value="100"' in listing

    download = client.get(f"/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="tickets-')
    text = download.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["编号", "创建时间", "渠道"]
    assert len(rows) == 6
    # Oldest first: t3 created the day before at 15:00 by agent B, then the 23:30 phone ticket.
    assert rows[1][1] == f"{day.day - timedelta(days=1)} 15:00:00"
    assert rows[1][7] == "乙 Agent B"
    assert rows[1][9] == day.customer.phone  # a supervisor may see personal data

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == supervisor
    assert entry.detail == {"job": job.pk, "dataset": "tickets", "format": "csv",
                            "from": (day.day - timedelta(days=1)).isoformat(), "to": day.day.isoformat(),
                            "unmasked_pii": True}


def test_xlsx_export_masks_personal_data_without_view_pii(day: ServiceDay,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    qa = UserFactory.create(roles=(Role.QA,), is_staff=True)
    _ask(logged_in(qa), day, django_capture_on_commit_callbacks, file_format="xlsx")
    job = ExportJob.objects.get(owner=qa)
    assert (job.status, job.include_pii) == ("done", False)
    with job.file.open("rb") as handle:
        sheet = load_workbook(handle, read_only=True).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 6
    phone = day.customer.phone
    assert {row[9] for row in rows[1:]} == {f"{phone[:3]}****{phone[-4:]}"}
    assert all(row[8].endswith("*") for row in rows[1:])
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).detail["unmasked_pii"] is False


def test_agent_kpi_export_carries_the_kpi_columns(day: ServiceDay, django_capture_on_commit_callbacks: Any) -> None:
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    _ask(logged_in(supervisor), day, django_capture_on_commit_callbacks, dataset="agent_kpis",
         date_from=day.day.isoformat())
    job = ExportJob.objects.get(owner=supervisor)
    with job.file.open("rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    assert rows[0][:4] == ["客服", "已解决工单", "首次响应时长", "首次响应时长（秒）"]  # noqa: RUF001
    by_agent = {row[0]: row for row in rows[1:]}
    # As people read it, and in whole seconds to compute with.
    assert by_agent["甲 Agent A"][2:4] == ["20分钟", "1200"]


def test_only_the_owner_sees_and_downloads_an_export(day: ServiceDay,
                                                     django_capture_on_commit_callbacks: Any) -> None:
    owner = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    _ask(logged_in(owner), day, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(owner=owner)
    other = logged_in(UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True))
    assert other.get(f"/reports/exports/{job.pk}/").status_code == 404
    assert other.get(f"/reports/exports/{job.pk}/download/").status_code == 404
    assert f"export-{job.pk}" not in other.get("/reports/exports/").content.decode()
    assert logged_in(owner).get(f"/reports/exports/{job.pk}/download/").status_code == 200


def test_export_refused_to_those_who_may_not_read_reports(day: ServiceDay,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    agent = UserFactory.create(roles=(Role.AGENT,), is_staff=True)
    assert _ask(logged_in(agent), day, django_capture_on_commit_callbacks).status_code == 403
    with pytest.raises(PermissionDenied):
        exports.export_request(user=agent, dataset="tickets", file_format="csv", date_from=day.day,
                               date_to=day.day)
    assert not ExportJob.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
    ({"dataset": "customers"}, "dataset"),
    ({"file_format": "pdf"}, "file_format"),
])
def test_bad_export_requests_are_form_errors(day: ServiceDay, django_capture_on_commit_callbacks: Any,
                                             data: dict[str, str], field: str) -> None:
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    response = _ask(logged_in(supervisor), day, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 200
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_redelivered_run_leaves_a_finished_export_alone(day: ServiceDay,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    _ask(logged_in(supervisor), day, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(owner=supervisor)
    assert exports.export_run(job_id=job.pk) is None
    assert ExportJob.objects.get(pk=job.pk).file.name == job.file.name


def test_a_running_export_polls_its_progress(day: ServiceDay) -> None:
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    job = ExportJob.objects.create(owner=supervisor, dataset="tickets", file_format="csv", date_from=day.day,
                                   date_to=day.day, status="running", rows_total=200, rows_done=50)
    row = logged_in(supervisor).get(f"/reports/exports/{job.pk}/").content.decode()
    assert f'hx-get="/reports/exports/{job.pk}/" hx-trigger="every 2s"' in row
    assert '<progress max="100" value="25"' in row


def test_ticket_times_are_written_in_local_time_to_the_second_as_python_formats_them() -> None:
    customer = UserFactory.create()
    moments = [
        datetime(2026, 11, 22, 15, 59, 59, 999999, tzinfo=UTC),  # 23:59:59.999999 in Shanghai: no rounding up
        datetime(2026, 11, 22, 16, 0, tzinfo=UTC),  # local midnight, the next day
        datetime(2024, 2, 28, 16, 0, 0, 1, tzinfo=UTC),  # leap day
        datetime(2000, 1, 1, 0, 0, tzinfo=UTC),
    ]
    for moment in moments:
        make_ticket(customer=customer, team=None, assignee=None, channel="web", created=moment,
                    first_responded=moment + timedelta(minutes=1), solved=None)
    rows = list(exports.DATASETS["tickets"].rows(date(1999, 12, 31), date(2026, 11, 30), 2))

    def local(moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")

    assert [(row[1], row[10], row[11]) for row in rows] == [
        (local(moment), local(moment + timedelta(minutes=1)), "") for moment in sorted(moments)]
    assert rows[-1][1] == "2026-11-23 00:00:00"
