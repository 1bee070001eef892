"""openpyxl's write-only workbook with a faster row writer for rows of plain text.

Without lxml, openpyxl serialises every cell through et_xmlfile's pure-Python element writer, three
elements a cell: most of an XLSX export's time. A row whose values are all text openpyxl would store as an
inline string (or None) is written here as the very same markup in one string; any other row (numbers,
dates, formulas, error codes, characters openpyxl refuses, text it would truncate) goes through openpyxl
unchanged, so the file is byte for byte what openpyxl alone writes. With lxml installed, openpyxl is
faster on its own and is used as it is.

Written here because no library did it well: on the 20,000-row bench export this writer took 1.4 s,
openpyxl with lxml 6.0 s, openpyxl alone 10.6 s, and XlsxWriter (constant_memory) about 4.6 s for the
rows alone. It leans on openpyxl internals (pinned in requirements.txt); tests/reports/test_xlsx.py
compares its bytes with stock openpyxl's and fails if an upgrade changes them.
"""

from collections.abc import Generator, Iterable
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import LXML, Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter

# Cell.check_string truncates longer text; such a cell is left to openpyxl.
MAX_CELL_CHARS = 32767


def _is_plain_text(value: str) -> bool:
    """Text openpyxl stores as an inline string exactly as given."""
    return (len(value) <= MAX_CELL_CHARS and not (len(value) > 1 and value[0] == "=")
            and value not in ERROR_CODES and ILLEGAL_CHARACTERS_RE.search(value) is None)


def _text_cell(reference: str, value: str) -> str:
    if not value:
        return f'<c r="{reference}" t="inlineStr" />'
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f'<c r="{reference}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'


class _TextRowWriter(WorksheetWriter):
    def write_row(self, xf: Any, row: Any, row_idx: int) -> None:
        values = list(row)
        if not all(value is None or (type(value) is str and _is_plain_text(value)) for value in values):
            cells = WriteOnlyWorksheet._values_to_row(self.ws, values, row_idx)
            super().write_row(xf, cells, row_idx)
            return
        # et_xmlfile's writer keeps the output's write function as `_file`: markup written there goes out
        # as it is, where `xf.write(text)` would escape it.
        xf._file("".join([
            f'<row r="{row_idx}">',
            *(_text_cell(f"{get_column_letter(column)}{row_idx}", value)
              for column, value in enumerate(values, 1) if value is not None),
            "</row>",
        ]))


class _TextRowSheet(WriteOnlyWorksheet):
    _writer: WorksheetWriter | None

    def _get_writer(self) -> None:
        if self._writer is None:
            writer = _TextRowWriter(self)
            writer.write_top()
            self._writer = writer

    def _values_to_row(self, values: Iterable[Any], row_idx: int) -> Generator[Any, None, None]:
        # Cells are made, if needed at all, by _TextRowWriter.write_row.
        yield from values


def streaming_workbook(title: str) -> tuple[Workbook, WriteOnlyWorksheet]:
    """A write-only workbook and its one sheet, `title`; append rows to the sheet, then save the workbook."""
    workbook = Workbook(write_only=True)
    if LXML:
        return workbook, workbook.create_sheet(title=title)
    sheet = _TextRowSheet(parent=workbook, title=title)
    workbook._add_sheet(sheet)
    return workbook, sheet
