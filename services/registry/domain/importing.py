"""Reading the register from operators' spreadsheets: the template, streaming readers, and the
per-cell normalisation rules. Nothing is silently dropped, trimmed or guessed.

Stated normalisation rules (also on the template's notes sheet):

1. Surrounding whitespace (spaces, tabs, U+3000 ideographic space, NBSP) is removed from every cell;
   inner text is kept as typed.
2. Codes, numbers and dates are read after Unicode NFKC, so full-width digits and letters
   (１２３, ＡＢＣ) become their ASCII forms. Names and free text are NOT NFKC-normalised (full-width
   brackets in company names are official).
3. Money is in yuan: digits with an optional sign, optional thousands separators in groups of three
   (1,234,567.89) and at most two decimals. "万元", "亿" or other units are rejected — the column says yuan.
4. Whole numbers (employees, R&D staff, year) accept integral spreadsheet numbers and text (230.0, "230.0" → 230).
5. Dates: real spreadsheet date cells, or text as 2024-05-20, 2024/5/20, 2024.5.20 or 2024年5月20日.
   Any other text, and bare numbers (a date cell that lost its format), are rejected.
6. A credit code that Excel turned into a number (9.15301E+17) is rejected with that explanation.
7. Cells inside a merged range (other than its top-left cell) are reported: merged cells hide data.

The file commits row by row: each enterprise's rows in the file are one unit (the enterprise and its
financial years), applied or rejected together; a rejected unit never blocks the others. A dry run
validates everything and writes nothing. Every row gets an outcome.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

# header → (field, kind)
COLUMNS: dict[str, tuple[str, str]] = {
    "企业名称": ("name", "text"),
    "统一社会信用代码": ("uscc", "code"),
    "法定代表人": ("legal_representative", "text"),
    "成立日期": ("established_on", "date"),
    "所在区县代码": ("county_code", "code"),
    "行业代码": ("industry_code", "code"),
    "细分市场": ("niche_market", "text"),
    "进入细分市场年份": ("niche_since", "int"),
    "主导产品": ("main_products", "list"),
    "联系电话": ("contact_phone", "code"),
    "电子邮箱": ("contact_email", "code"),
    "财务年度": ("year", "int"),
    "营业收入(元)": ("operating_revenue", "money"),
    "主营业务收入(元)": ("main_business_revenue", "money"),
    "研发费用(元)": ("rd_expense", "money"),
    "净利润(元)": ("net_profit", "money"),
    "资产总额(元)": ("total_assets", "money"),
    "负债总额(元)": ("total_liabilities", "money"),
    "从业人员": ("employees", "int"),
    "研发人员": ("rd_staff", "int"),
    "新增股权融资(元)": ("new_equity_financing", "money"),
    "是否审计": ("audited", "bool"),
    # Optional: the enterprise's version as exported. Given, an update applies only if the register is
    # still at that version (a stale row is refused, not merged); blank, the row updates unconditionally.
    "版本号": ("version", "int"),
}
HEADERS = list(COLUMNS)
REQUIRED = ("企业名称", "统一社会信用代码", "所在区县代码", "行业代码")
HEADER_OF = {name: header for header, (name, _) in COLUMNS.items()}
ENTERPRISE_FIELDS = ("name", "uscc", "legal_representative", "established_on", "county_code", "industry_code",
                     "niche_market", "niche_since", "main_products", "contact_phone", "contact_email")  # fmt: skip
FINANCIAL_FIELDS = ("operating_revenue", "main_business_revenue", "rd_expense", "net_profit", "total_assets",
                    "total_liabilities", "employees", "rd_staff", "new_equity_financing", "audited")  # fmt: skip
_SPACES = " \t\r\n\u3000\u00a0"
_MONEY = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
_DATE_TEXT = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)$")


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    value: str | None
    zh: str
    en: str


@dataclass
class ParsedRow:
    row: int
    enterprise: dict[str, Any]
    year: int | None
    financial: dict[str, Any] = field(default_factory=dict)
    version: int | None = None

    @property
    def uscc(self) -> str:
        return str(self.enterprise["uscc"])


class CellError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


# --- reading ---------------------------------------------------------------------------------


def iter_rows_csv(handle: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as the clerk sees it, {header: raw}) — the header row is row 1."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    header = [_strip(h) for h in next(reader, [])]
    for number, values in enumerate(reader, start=2):
        if any(_strip(v) for v in values):
            yield number, dict(zip(header, values, strict=False))


def iter_rows_xlsx(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream the first sheet (openpyxl read-only: the file is never loaded whole)."""
    merged = merged_cells(path)
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_strip(str(h)) if h is not None else "" for h in next(rows, ())]
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not _strip(v)) for v in values):
                continue
            raw: dict[str, Any] = dict(zip(header, values, strict=False))
            for column, header_name in enumerate(header, start=1):
                if (number, column) in merged:
                    raw[header_name] = MergedCell(raw.get(header_name))
            yield number, raw
    finally:
        workbook.close()


@dataclass(frozen=True)
class MergedCell:
    value: Any


def merged_cells(path: str) -> set[tuple[int, int]]:
    """(row, column) of every non-anchor cell of a merged range on the first sheet, read from the
    sheet XML with a streaming parser (read-only openpyxl does not report merged ranges)."""
    cells: set[tuple[int, int]] = set()
    with zipfile.ZipFile(path) as archive:
        sheet = next((n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)), None)
        if sheet is None:
            return cells
        with archive.open(sheet) as stream:
            for _, element in ElementTree.iterparse(stream):
                if element.tag.endswith("mergeCell"):
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                    for row in range(min_row or 0, (max_row or 0) + 1):
                        for column in range(min_col or 0, (max_col or 0) + 1):
                            if (row, column) != (min_row, min_col):
                                cells.add((row, column))
                element.clear()
    return cells


# --- cells -----------------------------------------------------------------------------------


def _strip(value: str) -> str:
    return value.strip(_SPACES)


def _nfkc(value: str) -> str:
    return _strip(unicodedata.normalize("NFKC", value))


def _shown(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, MergedCell):
        return _shown(raw.value)
    return str(raw)[:500]


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not _strip(raw))


def parse_cell(kind: str, raw: Any, header: str) -> Any:
    if isinstance(raw, MergedCell):
        raise CellError("单元格位于合并单元格区域内，请取消合并并逐行填写",
                        "cell lies inside a merged range; unmerge and fill every row")  # fmt: skip
    if _blank(raw):
        return None
    parser = {"text": _text, "code": _code, "int": _int, "money": _money, "date": _date, "bool": _bool,
              "list": _list}[kind]  # fmt: skip
    return parser(raw, header)


def _text(raw: Any, header: str) -> str:
    return _strip(str(raw))


def _code(raw: Any, header: str) -> str:
    if isinstance(raw, float) or (isinstance(raw, str) and _SCIENTIFIC.match(_nfkc(raw))):
        if header == "统一社会信用代码":
            raise CellError("信用代码被 Excel 转成了数字（科学计数法），请将该列设为文本后重新填写",
                            "Excel turned the credit code into a number (scientific notation); "
                            "format the column as text and re-enter it")  # fmt: skip
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        raise CellError("代码不应是小数或科学计数法", "a code must not be a decimal or scientific number")
    return _nfkc(str(raw))


def _int(raw: Any, header: str) -> int:
    if isinstance(raw, bool):
        raise CellError("应为整数", "must be a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError("应为整数，不能有小数", "must be a whole number, not a decimal")
    text = _nfkc(str(raw))
    whole = re.fullmatch(r"([+-]?\d+)(?:\.0+)?", text)  # "230.0" as a spreadsheet may write it: 230
    if not whole:
        raise CellError("应为整数", "must be a whole number")
    return int(whole.group(1))


def _money(raw: Any, header: str) -> Decimal:
    if isinstance(raw, bool):
        raise CellError("应为金额（元）", "must be an amount in yuan")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        amount = Decimal(repr(raw))
    else:
        text = _nfkc(str(raw))
        if re.search(r"[万亿千]|元|¥|￥", text):
            raise CellError("金额列以“元”为单位，不要带“万元”等单位或符号",
                            "the column is in yuan: do not add units such as 万元 or currency signs")  # fmt: skip
        if not _MONEY.match(text):
            raise CellError("不是有效的金额（元，最多两位小数）", "not a valid amount (yuan, at most 2 decimals)")
        amount = Decimal(text.replace(",", ""))
    try:
        if amount != amount.quantize(Decimal("0.01")):
            raise CellError("金额最多两位小数", "amounts have at most two decimals")
    except InvalidOperation as error:
        raise CellError("不是有效的金额", "not a valid amount") from error
    return amount


def _date(raw: Any, header: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)):
        raise CellError("日期单元格丢失了日期格式（显示为数字），请设为日期格式",
                        "a date cell lost its date format (shows a number); format it as a date")  # fmt: skip
    text = _nfkc(str(raw))
    match = _DATE_TEXT.match(text)
    if not match:
        raise CellError("日期格式无法识别，请用 2024-05-20", "unrecognised date; use 2024-05-20")
    year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
    try:
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise CellError("不存在的日期", "no such date") from error


def _bool(raw: Any, header: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _nfkc(str(raw)).lower()
    if text in {"是", "y", "yes", "true", "1"}:
        return True
    if text in {"否", "n", "no", "false", "0"}:
        return False
    raise CellError("应填“是”或“否”", "must be 是 (yes) or 否 (no)")


def _list(raw: Any, header: str) -> list[str]:
    return [item for item in (_strip(part) for part in re.split(r"[；;、\n]", str(raw))) if item]


# --- rows ------------------------------------------------------------------------------------


def check_headers(headers: list[str]) -> list[RowProblem]:
    missing = [h for h in REQUIRED if h not in headers]
    unknown = [h for h in headers if h and h not in COLUMNS]
    problems = [RowProblem(1, h, None, "缺少必需的列", "required column missing") for h in missing]
    problems += [RowProblem(1, h, h, "不认识的列（请使用下载的模板）", "unknown column (use the template)")
                 for h in unknown]  # fmt: skip
    return problems


def parse_row(number: int, raw: dict[str, Any]) -> tuple[ParsedRow | None, list[RowProblem]]:
    """Cell-level parsing of one row. Field rules (credit-code algorithm, codes, consistency) are
    checked afterwards by the caller with the API's own schemas, so both paths agree."""
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for header, (name, kind) in COLUMNS.items():
        cell = raw.get(header)
        try:
            values[name] = parse_cell(kind, cell, header)
        except CellError as error:
            problems.append(RowProblem(number, header, _shown(cell), error.zh, error.en))
            continue
        if values[name] is None and header in REQUIRED:
            problems.append(RowProblem(number, header, None, "必填项为空", "required cell is empty"))
    if any(values.get(name) is not None for name in FINANCIAL_FIELDS) and values.get("year") is None:
        problems.append(RowProblem(number, "财务年度", None, "填写了财务数据但缺少财务年度",
                                   "financial figures given without the financial year"))  # fmt: skip
    if problems:
        return None, problems
    enterprise = {name: values[name] for name in ENTERPRISE_FIELDS if values[name] is not None}
    financial = {name: values[name] for name in FINANCIAL_FIELDS if values[name] is not None}
    return ParsedRow(number, enterprise, values.get("year"), financial, values.get("version")), []


# --- template and export ---------------------------------------------------------------------

NOTES = [
    ("填写说明 / How to fill in", ""),
    ("每行一个企业的一个财务年度；同一企业多个年度可写多行。", "One row per enterprise and financial year."),
    ("金额单位为元，可用千分位逗号，最多两位小数；不要写“万元”。", "Amounts in yuan; 1,234.56 allowed; no units."),
    ("日期用 2024-05-20（或日期格式单元格）。", "Dates as 2024-05-20 or real date cells."),
    ("信用代码列请设为文本，避免 Excel 转成科学计数法。", "Keep the credit-code column as text."),
    ("全角数字字母会按 NFKC 转为半角；首尾空格会去除；其他不合规内容整行拒绝并报告。",
     "Full-width digits/letters become ASCII (NFKC); surrounding spaces are removed; anything else "
     "invalid rejects the row, with a report."),
    ("不要合并单元格。", "Do not merge cells."),
    ("“版本号”列可留空；填写时（如导出文件所带），仅当企业当前版本与之相同才更新，否则整企业拒绝并报告。",
     "The version column may be blank; when given (as exports carry it), an enterprise is updated only if it is "
     "still at that version, otherwise all its rows are refused and reported."),
    ("逐企业提交：一个企业的各行一起成功或一起失败，不影响其他企业。",
     "Committed per enterprise: its rows succeed or fail together, independently of others."),
]  # fmt: skip


def build_template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "企业名录"
    sheet.append(HEADERS)
    for column, header in enumerate(HEADERS, start=1):
        width = max(12, len(header) * 2 + 2)
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = width
        if header in ("统一社会信用代码", "所在区县代码", "行业代码", "联系电话"):
            for row in range(2, 2001):  # text format keeps Excel from turning codes into numbers
                sheet.cell(row=row, column=column).number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for zh, en in NOTES:
        notes.append([zh, en])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_row(enterprise: dict[str, Any], report: dict[str, Any] | None) -> list[Any]:
    """One enterprise-year as a row of the template (money as numbers, dates as dates)."""
    values = {**enterprise, **(report or {})}
    row: list[Any] = []
    for name, kind in COLUMNS.values():
        value = values.get(name)
        if kind == "list":
            value = "；".join(value) if value else None
        elif kind == "money" and value is not None:
            value = float(value) if Decimal(value) == Decimal(value).quantize(Decimal("0.01")) else str(value)
        elif kind == "bool" and value is not None:
            value = "是" if value else "否"
        row.append(value)
    return row
