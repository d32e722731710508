"""The one way the platform writes spreadsheets (XLSX and CSV): formula-safe by construction.

A cell of user text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, WPS and LibreOffice as a formula ("CSV/formula injection": ``=HYPERLINK(…)`` exfiltrates
data when a clerk opens the export). Every export goes through this module so that no such cell is
ever live:

- **XLSX**: the cell is written as a *string* cell with Excel's ``quotePrefix`` flag — exactly what
  Excel itself stores when a user types ``'=…``. The stored value is the original text, so an
  export → import round trip gives the text back unchanged.
- **CSV**: the text gets a leading apostrophe (the OWASP advice); :func:`restore_csv_text` removes
  it again on import, only where it was added.

Numbers (``int``, ``Decimal``), dates and booleans are written as typed values, never as text; a
negative number is a number, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for a sheet title; the characters it refuses in one.
_SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def _plain(value: Any) -> Any:
    """Values openpyxl writes natively; anything else (enums, UUIDs…) as its text."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime | str):
        return value
    return str(getattr(value, "value", value))


class SafeSheet:
    """A write-only sheet whose ``append`` neutralises formula-like text."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self._sheet = sheet

    def append(self, row: Iterable[Any]) -> None:
        cells: list[Any] = []
        for raw in row:
            value = _plain(raw)
            if isinstance(value, str) and is_formula_like(value):
                cell = WriteOnlyCell(self._sheet, value=value)
                cell.data_type = "s"  # a string, never a formula
                cell.quotePrefix = True
                cells.append(cell)
            else:
                cells.append(value)
        self._sheet.append(cells)

    def extend(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.append(row)


class SafeWorkbook:
    """A streaming (write-only) workbook: memory stays flat however many rows are appended."""

    def __init__(self) -> None:
        self._workbook = Workbook(write_only=True)

    def sheet(self, title: str, header: Sequence[str] | None = None) -> SafeSheet:
        clean = title.translate(_SHEET_TITLE_FORBIDDEN)[:_SHEET_TITLE_MAX] or "Sheet"
        sheet = SafeSheet(self._workbook.create_sheet(clean))
        if header is not None:
            sheet.append(header)
        return sheet

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()

    def save(self, path: Any) -> None:
        """Write to a file (large exports: stream it from disk rather than hold it in memory)."""
        self._workbook.save(path)


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """One sheet, one header row, the rows: the common export in one call."""
    workbook = SafeWorkbook()
    workbook.sheet(title, header).extend(rows)
    return workbook.to_bytes()


def neutralise_csv_text(value: Any) -> Any:
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def restore_csv_text(text: str) -> str:
    """Undo :func:`neutralise_csv_text` on import: only an apostrophe this module added is removed."""
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a BOM, so that Excel on a Chinese Windows opens it without mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise_csv_text(h) for h in header])
    for row in rows:
        writer.writerow([neutralise_csv_text(_plain(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
