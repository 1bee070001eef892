"""The report builder, saved reports (own, shared, someone else's) and their scheduled e-mail."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from profiles.roles import Role
from reports import schedules
from reports.builder import ReportSpec, build
from reports.models import SavedReport
from tests.clients import logged_in
from tests.factories import UserFactory
from tests.reports.factories import ServiceDay, service_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def day() -> ServiceDay:
    return service_day()


def _rows(report: Any) -> dict[str, list[Any]]:
    return {label: [value for _measure, value in values] for label, values in report.rows}


def test_tickets_by_channel(day: ServiceDay) -> None:
    built = build(ReportSpec("tickets", "channel", ["created", "solved", "resolution_rate"]),
                  first=day.day, last=day.day)
    # t1 and t3 solved on D (both web); t1 web, t2 email and the 00:30 phone ticket created on D.
    assert _rows(built) == {"网页": [1, 2, 2.0], "电子邮件": [1, 0, 0.0], "电话": [1, 0, 0.0]}


def test_aftersales_by_merchant_and_by_date(day: ServiceDay) -> None:
    by_merchant = build(ReportSpec("aftersales", "merchant", ["requests", "refund_fen", "refund_time"]),
                        first=day.day, last=day.day)
    assert _rows(by_merchant) == {day.store.merchant.name: [1, 19_900, 5 * 3600]}
    by_week = build(ReportSpec("aftersales", "date", ["requests"], grain="week"), first=day.day, last=day.day)
    assert _rows(by_week) == {(day.day - timedelta(days=day.day.weekday())).isoformat(): [1]}


def test_page_refuses_dimensions_and_figures_of_another_source(day: ServiceDay) -> None:
    client = logged_in(UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True))
    response = client.get("/reports/builder/", {"source": "tickets", "dimension": "merchant",
                                                "measures": ["requests"], "grain": "day",
                                                "date_from": day.day.isoformat(),
                                                "date_to": day.day.isoformat()})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="dimension"' in text
    assert 'data-field-error="measures"' in text
    assert 'id="built-report"' not in text


def test_save_share_and_open_saved_reports(day: ServiceDay) -> None:
    owner = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    form = {"source": "tickets", "dimension": "channel", "measures": ["created"], "grain": "day",
            "date_from": day.day.isoformat(), "date_to": day.day.isoformat(), "name": "渠道日报",
            "frequency": "daily"}
    response = logged_in(owner).post("/reports/builder/", form)
    report = SavedReport.objects.get(owner=owner)
    assert response["Location"] == f"/reports/builder/{report.pk}/"
    assert report.spec == {"source": "tickets", "dimension": "channel", "measures": ["created"], "grain": "day"}
    assert report.next_run_at is not None and timezone.localtime(report.next_run_at).hour == 8
    page = logged_in(owner).get(f"/reports/builder/{report.pk}/").content.decode()
    assert "<h1>渠道日报</h1>" in page and 'id="built-report"' in page

    colleague = logged_in(UserFactory.create(roles=(Role.QA,), is_staff=True))
    assert colleague.get(f"/reports/builder/{report.pk}/").status_code == 404
    SavedReport.objects.filter(pk=report.pk).update(shared=True)
    assert colleague.get(f"/reports/builder/{report.pk}/").status_code == 200


def test_save_without_a_name_is_a_form_error(day: ServiceDay) -> None:
    response = logged_in(UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)).post(
        "/reports/builder/", {"source": "tickets", "dimension": "date", "measures": ["created"], "grain": "day",
                              "date_from": day.day.isoformat(), "date_to": day.day.isoformat()})
    assert response.status_code == 200
    assert 'data-field-error="name"' in response.content.decode()
    assert not SavedReport.objects.exists()


def _at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def test_next_run_is_eight_in_the_morning_daily_or_on_monday() -> None:
    wednesday_noon = _at("2026-11-18 12:00")
    assert schedules.next_run("daily", after=wednesday_noon) == _at("2026-11-19 08:00")
    assert schedules.next_run("daily", after=_at("2026-11-18 07:00")) == _at("2026-11-18 08:00")
    assert schedules.next_run("weekly", after=wednesday_noon) == _at("2026-11-23 08:00")
    assert schedules.next_run("weekly", after=_at("2026-11-23 09:00")) == _at("2026-11-30 08:00")
    assert schedules.next_run("", after=wednesday_noon) is None


@pytest.mark.usefixtures("celery_eager")
def test_due_reports_are_mailed_once_and_move_on(day: ServiceDay, django_capture_on_commit_callbacks: Any) -> None:
    owner = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    now = timezone.localtime().replace(hour=8, minute=1, second=0, microsecond=0)
    weekly = schedules.report_save(owner=owner, name="售后周报", shared=False, frequency="weekly",
                                   spec=ReportSpec("aftersales", "merchant", ["requests", "refund_fen"]),
                                   now=now - timedelta(days=7))
    SavedReport.objects.filter(pk=weekly.pk).update(next_run_at=now - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert schedules.send_due(now=now) == 1
        assert schedules.send_due(now=now) == 0  # moved on: a second sweep sends nothing
    (message,) = mail.outbox
    assert message.to == [owner.email]
    assert "售后周报" in message.subject
    _name, content, _mimetype = message.attachments[0]
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert rows == [["商家", "申请数", "已退款"], [day.store.merchant.name, "1", "19900"]]
    weekly.refresh_from_db()
    assert weekly.last_sent_at == now
    assert weekly.next_run_at is not None and weekly.next_run_at > now


def test_a_report_whose_owner_lost_report_access_is_unscheduled_not_sent(day: ServiceDay) -> None:
    owner = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    report = schedules.report_save(owner=owner, name="日报", shared=False, frequency="daily",
                                   spec=ReportSpec("tickets", "date", ["created"]))
    owner.groups.clear()
    SavedReport.objects.filter(pk=report.pk).update(next_run_at=timezone.now() - timedelta(minutes=1))
    assert schedules.send_due() == 0
    assert mail.outbox == []
    report.refresh_from_db()
    assert report.next_run_at is None
