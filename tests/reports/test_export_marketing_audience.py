"""The marketing-audience export: only customers who agreed to marketing, as profiles' marketing_audience()
decides (never asked, declined, deactivated or merged away: never exported); names masked without view_pii;
refused and audited like every other export."""

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import load_workbook

from profiles import customers
from profiles.models import AuditEntry, CustomerProfile, User
from profiles.roles import Role
from reports import exports
from reports.models import ExportJob
from service_center.celery import app
from tests.clients import logged_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_exports(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.REPORTS_EXPORT_ROOT = str(tmp_path / "exports")
    settings.REPORTS_EXPORT_BATCH = 2
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def audience(make_user: Callable[..., User]) -> dict[str, User]:
    """One customer of every kind: who agreed, declined, was never asked, was deactivated, merged away."""
    people = {name: make_user("customer", user__display_name=name) for name in (
        "王同意", "李拒绝", "张没问", "赵停用", "钱合并", "孙保留")}
    for name in ("王同意", "李拒绝", "赵停用", "钱合并", "孙保留"):
        customers.customer_set_marketing_consent(customer=people[name], consent=True, source="api")
    customers.customer_set_marketing_consent(customer=people["李拒绝"], consent=False, source="help_center")
    User.objects.filter(pk=people["赵停用"].pk).update(is_active=False)
    CustomerProfile.objects.filter(user=people["王同意"]).update(
        segment=CustomerProfile.Segment.HIGH_VALUE, vip_level=CustomerProfile.VipLevel.GOLD,
        tags=["爱退货"], rule_tags=["高价值", "爱退货"])
    customers.customer_merge(source=people["钱合并"], target=people["孙保留"], actor=make_user("supervisor"))
    return people


def _ask(user: User, capture: Any, file_format: str = "csv") -> Any:
    today = timezone.localdate().isoformat()
    with capture(execute=True):
        return logged_in(user).post("/reports/exports/", {
            "dataset": "marketing_audience", "file_format": file_format, "date_from": today, "date_to": today})


def _rows(job: ExportJob) -> list[list[Any]]:
    with job.file.open("rb") as handle:
        if job.file_format == "csv":
            return list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
        return [list(row) for row in load_workbook(handle, read_only=True).active.iter_rows(values_only=True)]


def test_only_customers_who_agreed_are_exported_with_segment_vip_and_tags(
        audience: dict[str, User], django_capture_on_commit_callbacks: Any) -> None:
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    assert _ask(supervisor, django_capture_on_commit_callbacks).status_code == 302

    job = ExportJob.objects.get(owner=supervisor)
    assert (job.status, job.rows_total, job.include_pii) == ("done", 2, True)
    rows = _rows(job)
    assert rows[0] == ["客户", "客户分群", "会员等级", "标签"]
    by_name = {row[0]: row for row in rows[1:]}
    # Declined, never asked, deactivated and merged away (钱合并) are left out; 孙保留 kept the merged consent.
    assert set(by_name) == {"王同意", "孙保留"}
    assert by_name["王同意"] == ["王同意", "高价值", "黄金会员", "爱退货, 高价值"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == supervisor
    assert (entry.detail["dataset"], entry.detail["job"], entry.detail["unmasked_pii"]) == (
        "marketing_audience", job.pk, True)


def test_names_are_masked_without_view_pii(audience: dict[str, User],
                                           django_capture_on_commit_callbacks: Any) -> None:
    qa = UserFactory.create(roles=(Role.QA,), is_staff=True)
    _ask(qa, django_capture_on_commit_callbacks, file_format="xlsx")
    job = ExportJob.objects.get(owner=qa)
    names = [row[0] for row in _rows(job)[1:]]
    assert len(names) == 2 and job.include_pii is False
    assert not {"王同意", "孙保留"} & set(names) and all(name.endswith("*") for name in names)
    assert AuditEntry.objects.get(action=AuditEntry.Action.EXPORT).detail["unmasked_pii"] is False


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER, Role.MERCHANT_STAFF, Role.INTEGRATOR])
def test_audience_export_refused_to_those_who_may_not_read_reports(
        audience: dict[str, User], django_capture_on_commit_callbacks: Any, role: str) -> None:
    user = UserFactory.create(roles=(role,), is_staff=role == Role.AGENT)
    assert _ask(user, django_capture_on_commit_callbacks).status_code == 403
    with pytest.raises(PermissionDenied):
        today = timezone.localdate()
        exports.export_request(user=user, dataset="marketing_audience", file_format="csv", date_from=today,
                               date_to=today)
    assert not ExportJob.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
