"""CSV / XLSX exports as background jobs: asked for on a page, written by a Celery worker in batches.

`export_request` checks the asker may read reports, decides once whether personal data goes out
unmasked (only with `profiles.view_pii`), writes the audit entry and queues the job on commit.
`export_run` streams rows with `iterator()` into a temporary file — CSV through the csv module,
XLSX through openpyxl's write-only workbook (with reports.xlsx's faster text rows) — updating the job's
progress every batch, so memory stays flat whatever the row count, then stores the file where only its
owner can download it.
"""

import csv
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import CharField, F, Func, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_stubs_ext import StrOrPromise

from core.durations import humanize_duration
from core.masking import MASKERS, PiiKind, can_view_pii
from core.queueing import enqueue
from core.replica import replica_reads
from profiles import customers
from profiles import services as profile_services
from profiles.models import AuditEntry, CustomerProfile
from reports import kpis
from reports.cells import spreadsheet_row
from reports.models import ExportJob
from reports.rollups import day_bounds
from reports.xlsx import streaming_workbook
from tickets import selectors as ticket_selectors
from tickets.models import Channel, Priority, Status, TicketType

logger = logging.getLogger(__name__)

Row = Sequence[Any]


@dataclass(frozen=True)
class Column:
    header: StrOrPromise
    pii: PiiKind | None = None


@dataclass(frozen=True)
class Dataset:
    key: str
    label: StrOrPromise
    columns: Callable[[], list[Column]]
    count: Callable[[date, date], int]
    rows: Callable[[date, date, int], Iterator[Row]]


def _local_text(field: str, zone: ZoneInfo) -> Coalesce:
    """`field` as local time text, "2026-11-22 09:30:00" ("" for none), written by PostgreSQL: loading a
    timestamp into a Python datetime and formatting it again was half of an export's remaining time."""
    in_zone = Func(Value(zone.key), F(field), function="timezone")
    return Coalesce(Func(in_zone, Value("YYYY-MM-DD HH24:MI:SS"), function="to_char", output_field=CharField()),
                    Value(""))


def _window(first: date, last: date) -> tuple[datetime, datetime]:
    return day_bounds(first)[0], day_bounds(last)[1]


TICKET_EXPORT_MOMENTS = frozenset({"created_at", "first_responded_at", "solved_at"})


def _ticket_columns() -> list[Column]:
    return [Column(_("Number")), Column(pgettext("creation time", "Created")), Column(_("Channel")), Column(_("Type")),
            Column(_("Priority")), Column(_("Status")), Column(_("Team")), Column(_("Assignee")),
            Column(_("Customer"), pii="name"), Column(_("Customer phone"), pii="phone"),
            Column(_("First response")), Column(_("Solved"))]


def _ticket_count(first: date, last: date) -> int:
    return ticket_selectors.tickets_created_between(*_window(first, last)).count()


def _ticket_rows(first: date, last: date, batch: int) -> Iterator[Row]:
    # Translated once here rather than per row: each str() of a lazy label is a gettext call.
    labels = {value: str(label) for choices in (Channel.choices, TicketType.choices, Priority.choices, Status.choices)
              for value, label in choices}
    zone = timezone.get_current_timezone()
    # PostgreSQL needs the zone's name: settings.TIME_ZONE's, as nothing in the project activates another.
    assert isinstance(zone, ZoneInfo)
    fields: list[str | Coalesce] = [
        _local_text(field, zone) if field in TICKET_EXPORT_MOMENTS else field
        for field in ticket_selectors.TICKET_EXPORT_FIELDS
    ]
    rows = (ticket_selectors.tickets_created_between(*_window(first, last))
            .values_list(*fields).iterator(chunk_size=batch))
    for (number, created, channel, kind, priority, status, team, assignee_name, assignee_username, _customer_id,
         customer_name, phone, responded, solved) in rows:
        yield (number, created, labels.get(channel, channel), labels.get(kind, kind),
               labels.get(priority, priority), labels.get(status, status), team or "",
               assignee_name or assignee_username or "", customer_name, phone, responded, solved)


def _kpi_columns() -> list[Column]:
    # A duration is written twice: as people read it ("20 min") and, labelled, in whole seconds to compute with.
    columns = [Column(_("Agent"))]
    for column in kpis.KPI_COLUMNS:
        columns.append(Column(column.label))
        if column.kind == "seconds":
            columns.append(Column(_("%(figure)s (seconds)") % {"figure": column.label}))
    return columns


def _kpi_count(first: date, last: date) -> int:
    return len(kpis.agent_figures(first=first, last=last))


def _kpi_rows(first: date, last: date, batch: int) -> Iterator[Row]:
    for row in kpis.agent_kpis(first=first, last=last):
        cells: list[Any] = [row.name]
        for column, value in row.values:
            if column.kind == "seconds":
                cells.extend([humanize_duration(value), "" if value is None else round(value)])
            else:
                cells.append(value)
        yield cells


def _audience_columns() -> list[Column]:
    return [Column(_("Customer"), pii="name"), Column(_("Segment")), Column(_("VIP level")), Column(_("Tags"))]


# The audience is who may be reached now, whatever the chosen days: a customer who withdrew consent
# yesterday must not be exported for last month. It comes from profiles' marketing_audience() alone, so
# consent, deactivation and merges are decided in one place.
def _audience_count(first: date, last: date) -> int:
    return customers.marketing_audience().count()


def _audience_rows(first: date, last: date, batch: int) -> Iterator[Row]:
    segments = dict(CustomerProfile.Segment.choices)
    levels = dict(CustomerProfile.VipLevel.choices)
    rows = (customers.marketing_audience()
            .values_list("user__display_name", "user__username", "segment", "vip_level", "tags", "rule_tags")
            .iterator(chunk_size=batch))
    for display_name, username, segment, vip_level, tags, rule_tags in rows:
        yield (display_name or username, str(segments.get(segment, "")), str(levels.get(vip_level, vip_level)),
               ", ".join(dict.fromkeys([*tags, *rule_tags])))


DATASETS = {
    dataset.key: dataset for dataset in (
        Dataset(ExportJob.Dataset.TICKETS, ExportJob.Dataset.TICKETS.label, _ticket_columns, _ticket_count,
                _ticket_rows),
        Dataset(ExportJob.Dataset.AGENT_KPIS, ExportJob.Dataset.AGENT_KPIS.label, _kpi_columns, _kpi_count,
                _kpi_rows),
        Dataset(ExportJob.Dataset.MARKETING_AUDIENCE, ExportJob.Dataset.MARKETING_AUDIENCE.label, _audience_columns,
                _audience_count, _audience_rows),
    )
}


@transaction.atomic
def export_request(*, user: Any, dataset: str, file_format: str, date_from: date, date_to: date,
                   ip_address: str | None = None) -> ExportJob:
    if not user.has_perm("profiles.view_reports"):
        raise PermissionDenied(_("Only supervisors, QA and administrators may export report data."))
    if dataset not in DATASETS or file_format not in ExportJob.Format.values:
        raise ValueError(f"unknown export {dataset!r} / {file_format!r}")
    job = ExportJob.objects.create(owner=user, dataset=dataset, file_format=file_format, date_from=date_from,
                                   date_to=date_to, include_pii=can_view_pii(user))
    profile_services.audit_record(
        action=AuditEntry.Action.EXPORT, actor=user, ip_address=ip_address,
        subject=f"{dataset} {date_from}..{date_to} ({file_format})",
        detail={"job": job.pk, "dataset": dataset, "format": file_format, "from": date_from.isoformat(),
                "to": date_to.isoformat(), "unmasked_pii": job.include_pii},
    )
    enqueue("reports.tasks.run_export", job_id=job.pk)
    return job


def _claim(job_id: int) -> ExportJob | None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == ExportJob.Status.DONE:
            return None
        job.status, job.rows_done, job.error = ExportJob.Status.RUNNING, 0, ""
        job.save(update_fields=["status", "rows_done", "error"])
        return job


def _masked(row: Row, columns: list[Column]) -> list[Any]:
    return [MASKERS[column.pii](str(value or "")) if column.pii and value else value
            for value, column in zip(row, columns, strict=True)]


def _progress(job: ExportJob, done: int) -> None:
    ExportJob.objects.filter(pk=job.pk).update(rows_done=done)


def _write(job: ExportJob, path: Path, dataset: Dataset, batch: int) -> int:
    columns = dataset.columns()
    rows = dataset.rows(job.date_from, job.date_to, batch)
    # Every cell is made spreadsheet-safe (reports.cells) on the one way into both formats and both of
    # the XLSX writer's paths (its raw text rows and openpyxl's cells).
    prepare: Callable[[Row], list[Any]] = spreadsheet_row if job.include_pii else (
        lambda row: spreadsheet_row(_masked(row, columns)))
    done = 0
    if job.file_format == ExportJob.Format.CSV:
        # utf-8-sig: Excel opens a CSV with a byte-order mark as UTF-8, so Chinese text survives.
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(spreadsheet_row(str(column.header) for column in columns))
            for row in rows:
                writer.writerow(prepare(row))
                done += 1
                if done % batch == 0:
                    _progress(job, done)
    else:
        workbook, sheet = streaming_workbook(str(dataset.label)[:31])
        sheet.append(spreadsheet_row(str(column.header) for column in columns))
        for row in rows:
            sheet.append(prepare(row))
            done += 1
            if done % batch == 0:
                _progress(job, done)
        workbook.save(path)
    return done


def export_run(*, job_id: int) -> ExportJob | None:
    """Write one job's file. A redelivered task rewrites an unfinished job from the start and leaves a
    finished one alone."""
    job = _claim(job_id)
    if job is None:
        return None
    dataset = DATASETS[job.dataset]
    batch = settings.REPORTS_EXPORT_BATCH
    # The rows come from the read replica when one is configured and current (core/replica.py).
    with replica_reads():
        ExportJob.objects.filter(pk=job.pk).update(rows_total=dataset.count(job.date_from, job.date_to))
    name = get_valid_filename(f"{job.dataset}-{job.date_from:%Y%m%d}-{job.date_to:%Y%m%d}-{job.pk}.{job.file_format}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            with replica_reads():
                written = _write(job, path, dataset, batch)
            if job.file:
                job.file.delete(save=False)
            with path.open("rb") as handle:
                job.file.save(name, File(handle), save=False)
    except Exception:
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED,
                                                   error=_("The export failed; please try again."))
        return None
    job.status, job.rows_done, job.rows_total, job.finished_at = (
        ExportJob.Status.DONE, written, written, timezone.now())
    job.save(update_fields=["file", "status", "rows_done", "rows_total", "finished_at"])
    return job
