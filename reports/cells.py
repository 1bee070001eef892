"""What a spreadsheet cell may hold: one function for every CSV and XLSX the reports write.

A customer's name is set by customers and integrators, and a cell that begins with `=`, `+`, `-`, `@`,
a tab or a carriage return is a live formula in Excel, LibreOffice and Google Sheets (CSV injection;
openpyxl even stores `=…` text as a real formula). Such text is neutralised the OWASP way, by a leading
single quote. XLSX cannot hold most control characters (openpyxl raises IllegalCharacterError, which
failed the whole export for one bad record); they are replaced by U+FFFD so one record never stops a
report. Numbers, dates and empty cells pass untouched.
"""

import re
from typing import Any

# The characters openpyxl refuses (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE): C0 except tab, LF, CR.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"


def spreadsheet_cell(value: Any) -> Any:
    """`value` as it is safe to write into a CSV or XLSX cell."""
    if type(value) is not str or not value:
        return value
    if _UNSTORABLE.search(value) is not None:
        value = _UNSTORABLE.sub(REPLACEMENT, value)
    if value.startswith(FORMULA_LEADS):
        value = "'" + value
    return value


def spreadsheet_row(values: Any) -> list[Any]:
    return [spreadsheet_cell(value) for value in values]
