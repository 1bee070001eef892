"""Saved builder reports and their e-mail delivery.

Delivery is a row sweep, not a countdown task per report: beat runs `send_due` every few minutes; it
locks due rows with SKIP LOCKED (two workers never send the same report), queues each as a CSV e-mail
to its owner (core.messaging, through the outbox) and moves `next_run_at` on in the same
transaction. A report whose owner may no longer read
reports, or has no e-mail address, is unscheduled instead of sent.
"""

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core import messaging
from reports.builder import ReportSpec, build
from reports.cells import spreadsheet_row
from reports.models import SavedReport

SEND_AT_HOUR = 8  # Beijing time: the report is in the inbox when the shift starts.
SEND_BATCH = 100


def next_run(frequency: str, *, after: datetime) -> datetime | None:
    if frequency not in (SavedReport.Frequency.DAILY, SavedReport.Frequency.WEEKLY):
        return None
    local = timezone.localtime(after)
    candidate = local.replace(hour=SEND_AT_HOUR, minute=0, second=0, microsecond=0)
    if frequency == SavedReport.Frequency.WEEKLY:
        candidate += timedelta(days=(7 - candidate.weekday()) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    return candidate if candidate > local else candidate + step


def period_before(frequency: str, moment: datetime) -> tuple[date, date]:
    """The days a delivery covers: yesterday, or the seven days up to yesterday."""
    yesterday = timezone.localtime(moment).date() - timedelta(days=1)
    return (yesterday - timedelta(days=6) if frequency == SavedReport.Frequency.WEEKLY else yesterday), yesterday


def reports_visible_to(user: Any) -> QuerySet[SavedReport]:
    return SavedReport.objects.filter(Q(owner=user) | Q(shared=True)).order_by("name", "id")


def report_for(user: Any, report_id: int) -> SavedReport:
    report = reports_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


@transaction.atomic
def report_save(*, owner: Any, name: str, spec: ReportSpec, shared: bool, frequency: str,
                now: datetime | None = None) -> SavedReport:
    if not owner.has_perm("profiles.view_reports"):
        raise PermissionDenied(_("Only supervisors, QA and administrators may save reports."))
    return SavedReport.objects.create(owner=owner, name=name, spec=spec.as_json(), shared=shared,
                                      frequency=frequency, next_run_at=next_run(frequency, after=now or timezone.now()))


def report_csv(report: SavedReport, *, first: date, last: date) -> str:
    built = build(ReportSpec(**report.spec), first=first, last=last)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(spreadsheet_row([str(built.dimension), *(str(measure.label) for _key, measure in built.columns)]))
    for label, values in built.rows:
        writer.writerow(spreadsheet_row([label, *("" if value is None else value for _measure, value in values)]))
    return buffer.getvalue()


def send_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(SavedReport.objects.select_for_update(skip_locked=True, of=("self",)).select_related("owner")
                   .filter(next_run_at__lte=now).order_by("next_run_at", "id")[:SEND_BATCH])
        for report in due:
            owner = report.owner
            if not owner.is_active or not owner.has_perm("profiles.view_reports") or not owner.email:
                report.next_run_at = None
                report.save(update_fields=["next_run_at"])
                continue
            first, last = period_before(report.frequency, now)
            messaging.send_email(
                recipient_ids=[owner.pk],
                subject=_("Report “%(name)s”, %(first)s to %(last)s") % {"name": report.name, "first": first,
                                                                          "last": last},
                body=_("Your scheduled report is attached as CSV."),
                attachments=[messaging.Attachment(f"report-{report.pk}-{last:%Y%m%d}.csv",
                                                  "\ufeff" + report_csv(report, first=first, last=last), "text/csv")],
            )
            report.last_sent_at, report.next_run_at = now, next_run(report.frequency, after=now)
            report.save(update_fields=["last_sent_at", "next_run_at"])
            sent += 1
    return sent
