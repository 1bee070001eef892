"""reports.xlsx writes the same file openpyxl's own write-only workbook writes, for text it handles itself
and for every value it leaves to openpyxl."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from reports.xlsx import MAX_CELL_CHARS, streaming_workbook

ROWS: list[list[Any]] = [
    ["编号", "创建时间", "渠道", "客户", "客户电话"],
    ["T2026112200001", "2026-11-22 09:30:00", "网页", "张*", "138****5678"],
    ["", None, "  padded  ", "tail ", " lead"],
    ["a & b", "<tag>", "x > y", "quote \" and ' apostrophe", "line\nbreak\ttab\rreturn"],
    [None, None, None],
    [],
    ["   ", "=", "emoji 😀", "混合 text", "末尾空格 "],
    # Each row below holds one value openpyxl treats specially, so the whole row goes through openpyxl.
    ["=SUM(A1:A2)", "text"],
    ["#N/A", "text"],
    [42, 3.5, Decimal("1.25"), True, "text"],
    [datetime(2026, 11, 22, 9, 30), date(2026, 11, 22), "text"],
    ["x" * (MAX_CELL_CHARS + 5), "text"],
    ["after the special rows", None, "still text"],
]


def _stock(path: Path, rows: list[list[Any]]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="工单")
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def _streaming(path: Path, rows: list[list[Any]]) -> None:
    workbook, sheet = streaming_workbook("工单")
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        # docProps/core.xml carries the moment of writing.
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def test_file_is_byte_for_byte_what_openpyxl_writes(tmp_path: Path) -> None:
    _stock(tmp_path / "stock.xlsx", ROWS)
    _streaming(tmp_path / "streaming.xlsx", ROWS)
    stock, streaming = _parts(tmp_path / "stock.xlsx"), _parts(tmp_path / "streaming.xlsx")
    assert stock.keys() == streaming.keys()
    for name in stock:
        assert streaming[name] == stock[name], name


def test_text_reads_back_as_written(tmp_path: Path) -> None:
    _streaming(tmp_path / "streaming.xlsx", ROWS[:7])
    sheet = load_workbook(tmp_path / "streaming.xlsx").active
    assert sheet is not None
    read = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert read[1] == ROWS[1]
    assert read[2][2:] == ["  padded  ", "tail ", " lead"]
    assert read[3][:4] == ROWS[3][:4]
    assert read[3][4] == "line\nbreak\ttab\nreturn"  # XML reading turns a bare \r into \n, as with openpyxl alone


def test_characters_openpyxl_refuses_are_still_refused() -> None:
    _workbook, sheet = streaming_workbook("工单")
    with pytest.raises(IllegalCharacterError):
        sheet.append(["bell \x07"])
