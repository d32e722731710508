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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.functions import iterparse

from shared.xlsx import restore_csv_text

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
_WHOLE = re.compile(r"([+-]?\d+)(?:\.0+)?")
_UNITS = re.compile(r"[万亿千]|元|¥|￥")
_ITEM_SEPARATORS = re.compile(r"[；;、\n]")
_DATE_TEXT = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)$")


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    value: str | None
    zh: str
    en: str


@dataclass(slots=True)
class ParsedRow:
    row: int
    enterprise: dict[str, Any]
    year: int | None
    financial: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    # The raw enterprise cells the row was parsed from (hashable): same key, same enterprise.
    enterprise_key: Any = field(default=None, compare=False, repr=False)

    @property
    def uscc(self) -> str:
        return str(self.enterprise["uscc"])


class CellError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


class ImportFileError(CellError):
    """The file as a whole cannot be read: the job fails with this (bilingual) reason, 0 rows applied."""

    @property
    def reason(self) -> str:
        return f"{self.zh} / {self.en}"


UNREADABLE = ImportFileError("文件无法读取，请使用下载的模板另存为 .xlsx 或 UTF-8 编码的 .csv",
                             "the file could not be read; save the template as .xlsx or as UTF-8 .csv")  # fmt: skip

# Limits on what an .xlsx may expand to (a zip bomb is small on disk and huge in memory).
MAX_XLSX_PARTS = 10_000
MAX_XLSX_PART_BYTES = 512 * 1024 * 1024
MAX_XLSX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_COMPRESSION_RATIO = 500  # for parts above 16 MiB
_RATIO_FLOOR = 16 * 1024 * 1024


def check_upload(path: str, suffix: str) -> None:
    """Refuse, with a stated reason, a file that is empty, not what its name says, or would expand
    beyond sane limits — before any parser sees it (openpyxl reads shared strings whole)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise ImportFileError("文件为空", "the file is empty")
    if suffix == ".csv":
        if head.startswith((b"PK\x03\x04", b"\x89PNG", b"%PDF", b"\xd0\xcf\x11\xe0")):
            raise ImportFileError("文件不是 CSV 文本文件", "the file is not a CSV text file")
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("这是旧版 .xls 文件，请另存为 .xlsx", "this is an old .xls file; save it as .xlsx")
    if not head.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(path):
        raise ImportFileError("文件不是有效的 .xlsx 工作簿（可能只是改了扩展名）",
                              "the file is not an .xlsx workbook (perhaps only renamed)")  # fmt: skip
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError("工作簿已损坏", "the workbook is damaged") from error
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        raise ImportFileError("文件不是有效的 .xlsx 工作簿", "the file is not an .xlsx workbook")
    if len(parts) > MAX_XLSX_PARTS:
        raise ImportFileError("工作簿结构异常（部件过多）", "the workbook has too many parts")
    total = 0
    for part in parts:
        total += part.file_size
        if part.filename.lower() == "xl/sharedstrings.xml" and part.file_size > MAX_SHARED_STRINGS_BYTES:
            raise ImportFileError(
                f"工作簿的共享字符串部分解压后超过 {MAX_SHARED_STRINGS_BYTES // 2**20} MB，疑似压缩炸弹，已拒绝",
                f"the workbook's shared strings expand beyond {MAX_SHARED_STRINGS_BYTES // 2**20} MB "
                "(a zip bomb?); refused",
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MAX_XLSX_PART_BYTES or (part.file_size > _RATIO_FLOOR and ratio > MAX_COMPRESSION_RATIO):
            raise ImportFileError("工作簿解压后异常巨大，疑似压缩炸弹，已拒绝",
                                  "the workbook expands to an implausible size (a zip bomb?); refused")  # fmt: skip
    if total > MAX_XLSX_TOTAL_BYTES:
        raise ImportFileError("工作簿解压后异常巨大，疑似压缩炸弹，已拒绝",
                              "the workbook expands to an implausible size (a zip bomb?); refused")  # fmt: skip


# --- reading ---------------------------------------------------------------------------------


def iter_rows_csv(handle: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as the clerk sees it, {header: raw}) — the header row is row 1."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = [_strip(restore_csv_text(h)) for h in next(reader, [])]
        for number, values in enumerate(reader, start=2):
            joined = "".join(values)  # once per row, not per cell: is any cell filled, might any be quoted
            if joined.strip(_SPACES):
                if "'" in joined:  # text our own CSV export neutralised ('=…) comes back as it was entered
                    values = [restore_csv_text(v) for v in values]
                yield number, dict(zip(header, values, strict=False))
    except UnicodeDecodeError as error:
        raise ImportFileError("CSV 文件不是 UTF-8 编码，请另存为“CSV UTF-8”",
                              "the CSV file is not UTF-8; save it as \"CSV UTF-8\"") from error  # fmt: skip
    except csv.Error as error:
        raise ImportFileError("CSV 文件格式错误", "the CSV file is malformed") from error


def iter_rows_xlsx(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream the first sheet: its XML parsed once, row by row (the file is never loaded whole).

    openpyxl reads the workbook's parts (shared strings, styles, the sheets' list) and its cell rules
    are kept (numbers, dates by style, shared and inline strings, booleans, ISO dates, errors as their
    text; cached values, never formulas); the rows are read by a lean loop here, in the one pass (the
    sheet's stated dimension included: openpyxl's read-only sheet parses a sheet without one whole
    just to size it). Merged ranges are listed after the rows in the sheet's XML, so the rows must
    know them first: ``merged_cells`` finds them with a byte scan of the inflated stream (no parse)."""
    with _first_sheet(path) as (source, name, workbook, shared):
        merged = merged_cells(path, name)
        rows = _sheet_rows(source, workbook, shared)
        header = [_strip(str(h)) if h is not None else "" for h in next(rows, (1, []))[1]]
        for number, values in rows:
            if all(v is None or (isinstance(v, str) and not _strip(v)) for v in values):
                continue
            raw: dict[str, Any] = dict(zip(header, values, strict=False))
            for column, header_name in enumerate(header, start=1):
                if (number, column) in merged:
                    raw[header_name] = MergedCell(raw.get(header_name))
            yield number, raw


@contextmanager
def _first_sheet(path: str, strings: bool = True) -> Iterator[tuple[IO[bytes], str, Any, list[str]]]:
    """The first worksheet's XML stream, its part name, the workbook (epoch, date styles) and the
    shared strings — what ``load_workbook(read_only=True)`` reads, without sizing every sheet."""
    reader = ExcelReader(path, read_only=True, data_only=True)
    try:
        reader.read_manifest()
        if strings:
            reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        name = next(rel.target for _, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type)  # fmt: skip
        with reader.archive.open(name) as source:
            yield source, name, reader.wb, reader.shared_strings
    finally:
        reader.archive.close()


def stated_rows(path: str) -> int | None:
    """The last row the first sheet's stated dimension gives (None when it states none)."""
    with _first_sheet(path, strings=False) as (source, _, _, _):
        for _, element in iterparse(source):
            if element.tag == _DIMENSION:
                return int(range_boundaries(element.get("ref", ""))[3] or 0)
            if element.tag == _ROW:
                return None
    return None


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _VALUE, _INLINE, _TEXT, _DIMENSION = (f"{_MAIN}{tag}" for tag in ("row", "v", "is", "t", "dimension"))
_COLUMN_OF: dict[str, int] = {}


def _column(letters: str) -> int:
    column = _COLUMN_OF[letters] = column_index_from_string(letters)
    return column


def _inline_text(element: Any) -> str:
    """``Text.from_tree(element).content`` (openpyxl), for the plain ``<is><t>…</t></is>`` at speed."""
    if len(element) == 1 and element[0].tag == _TEXT and not len(element[0]):
        return element[0].text or ""
    return str(Text.from_tree(element).content)


def _sheet_rows(source: IO[bytes], workbook: Any, shared: list[str]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) from row 1, as openpyxl's read-only ``iter_rows(values_only=True)`` gives
    them: rows missing from the XML as empty rows, each row as wide as the sheet's dimension says."""
    epoch, date_styles, duration_styles = workbook.epoch, workbook._date_formats, workbook._timedelta_formats
    column_of = _COLUMN_OF
    max_row: int | None = None
    max_col: int | None = None
    sized = False  # a dimension counts only before the rows (where openpyxl looks for it)
    expected = 1
    number = 0
    for _, element in iterparse(source):
        tag = element.tag
        if tag != _ROW:
            if tag == _DIMENSION and not sized:
                _, _, max_col, max_row = range_boundaries(element.get("ref", ""))
                sized = True
            continue
        sized = True
        attribute = element.get("r")
        number = number + 1 if attribute is None else _row_number(attribute)
        if max_row is not None and number > max_row:
            break
        cells: list[tuple[int, Any]] = []
        column = 0
        for cell in element:
            kind = cell.get("t", "n")
            coordinate = cell.get("r")
            if coordinate:
                letters = coordinate.rstrip("0123456789")
                column = column_of.get(letters) or _column(letters)
            else:
                column += 1
            value: Any = None if kind == "inlineStr" else (cell.findtext(_VALUE, None) or None)
            if value is not None:
                if kind == "n":
                    value = float(value) if "." in value or "E" in value or "e" in value else int(value)
                    style = int(cell.get("s", 0) or 0)
                    if style in date_styles:
                        try:
                            value = from_excel(value, epoch, timedelta=style in duration_styles)
                        except (OverflowError, ValueError):
                            value = "#VALUE!"  # openpyxl's reading of a date beyond the calendar
                elif kind == "s":
                    value = shared[int(value)]
                elif kind == "b":
                    value = bool(int(value))
                elif kind == "d":
                    value = from_ISO8601(value)
            elif kind == "inlineStr":
                child = cell.find(_INLINE)
                if child is not None:
                    value = _inline_text(child)
            cells.append((column, value))
        element.clear()
        while expected < number:  # rows the sheet leaves out
            expected += 1
            yield expected - 1, [None] * max_col if max_col else []
        if number < expected:
            continue
        expected += 1
        width = max_col or (cells[-1][0] if cells else 0)
        values: list[Any] = [None] * width
        for column, value in cells:
            if 1 <= column <= width:
                values[column - 1] = value
        yield number, values


def _row_number(attribute: str) -> int:
    try:
        return int(attribute)
    except ValueError:
        value = float(attribute)
        if not value.is_integer():
            raise ValueError(f"{attribute} is not a valid row number") from None
        return int(value)


@dataclass(frozen=True)
class MergedCell:
    value: Any


_MERGE_REF = re.compile(rb"<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref=\"([^\"]*)\"")
_MERGE_TAG = b"mergeCell"


def merged_cells(path: str, sheet: str | None = None) -> set[tuple[int, int]]:
    """(row, column) of every non-anchor cell of a merged range on the first sheet. They come after
    the rows in the sheet's XML: the inflated stream is scanned for them as bytes (a search, not an
    XML parse; read-only openpyxl does not report merged ranges)."""
    cells: set[tuple[int, int]] = set()
    with zipfile.ZipFile(path) as archive:
        if sheet is None:
            sheet = next((n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)), None)
        if sheet is None:
            return cells
        found, tail = b"", b""
        with archive.open(sheet) as stream:
            while block := stream.read(1 << 20):
                if found:
                    found += block
                    continue
                text = tail + block
                at = text.find(_MERGE_TAG)
                if at >= 0:
                    found = text[max(0, at - 64) :]
                tail = text[-64:]
        for match in _MERGE_REF.finditer(found):
            min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode())
            for row in range(min_row or 0, (max_row or 0) + 1):
                for column in range(min_col or 0, (max_col or 0) + 1):
                    if (row, column) != (min_row, min_col):
                        cells.add((row, column))
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
    if raw is None:
        return None
    if raw.__class__ is str:  # the common case (every CSV cell): no isinstance chain
        return _PARSERS[kind](raw, header) if raw.strip(_SPACES) else None
    if isinstance(raw, MergedCell):
        raise CellError("单元格位于合并单元格区域内，请取消合并并逐行填写",
                        "cell lies inside a merged range; unmerge and fill every row")  # fmt: skip
    if _blank(raw):
        return None
    return _PARSERS[kind](raw, header)


def _text(raw: Any, header: str) -> str:
    return _strip(str(raw))


def _code(raw: Any, header: str) -> str:
    if raw.__class__ is str and raw.isascii():
        text = raw.strip(_SPACES)
        if "E" not in text and "e" not in text:
            return text
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
    if raw.__class__ is str and raw.isascii() and (text := raw.strip(_SPACES)).isdigit():
        return int(text)
    if isinstance(raw, bool):
        raise CellError("应为整数", "must be a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError("应为整数，不能有小数", "must be a whole number, not a decimal")
    text = _nfkc(str(raw))
    whole = _WHOLE.fullmatch(text)  # "230.0" as a spreadsheet may write it: 230
    if not whole:
        raise CellError("应为整数", "must be a whole number")
    return int(whole.group(1))


def _money(raw: Any, header: str) -> Decimal:
    if raw.__class__ is str and raw.isascii():
        # No unit or currency sign is ASCII; fewer than 26 characters cannot exceed Decimal's 28 digits
        # at two decimals, and the pattern allows at most two: the checks below could not fail.
        text = raw.strip(_SPACES)
        if len(text) < 26 and _MONEY.match(text):
            return Decimal(text.replace(",", "") if "," in text else text)
    if isinstance(raw, bool):
        raise CellError("应为金额（元）", "must be an amount in yuan")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        amount = Decimal(repr(raw))
    else:
        text = _nfkc(str(raw))
        if _UNITS.search(text):
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
    if raw.__class__ is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-" and raw.isascii():
        # 2006-03-24, as the template and most sheets write a date: read in C (an invalid one, such as
        # 2006-02-30, is named below)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
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
    return [item for item in (_strip(part) for part in _ITEM_SEPARATORS.split(str(raw))) if item]


_PARSERS = {"text": _text, "code": _code, "int": _int, "money": _money, "date": _date, "bool": _bool, "list": _list}


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
    return RowParser().parse(number, raw)


# (header, field, parser, required) in the template's order: the enterprise's columns, then the year's.
_FIELDS = [(header, name, _PARSERS[kind], header in REQUIRED) for header, (name, kind) in COLUMNS.items()]
_ENTERPRISE_CELLS = _FIELDS[: len(ENTERPRISE_FIELDS)]
_YEAR_CELLS = _FIELDS[len(ENTERPRISE_FIELDS) :]
assert tuple(name for _, name, _, _ in _ENTERPRISE_CELLS) == ENTERPRISE_FIELDS
_ENTERPRISE_HEADERS = tuple(header for header, _, _, _ in _ENTERPRISE_CELLS)
_YEAR_GETTER = itemgetter(*(header for header, _, _, _ in _YEAR_CELLS))
# ``parse_many`` reads a row's year cells by position: the year, its figures, the version.
assert [name for _, name, _, _ in _YEAR_CELLS] == ["year", *FINANCIAL_FIELDS, "version"]
_Problem = tuple[str, str | None, str, str]  # a problem without its row: column, value, zh, en
_TEXT_OR_NONE = frozenset({str, type(None)})


def _parse_cells(raw: dict[str, Any], cells: list[tuple[str, str, Any, bool]], values: dict[str, Any],
                 problems: list[_Problem]) -> None:  # fmt: skip
    """``parse_cell`` over ``cells``, inlined (this runs for every cell of a file)."""
    get = raw.get
    for header, name, parser, required in cells:
        cell = get(header)
        try:
            if cell is None:
                value = None
            elif cell.__class__ is str:
                value = parser(cell, header) if cell.strip(_SPACES) else None
            elif isinstance(cell, MergedCell) or _blank(cell):
                value = parse_cell("text", cell, header)  # a merged cell raises, a blank one is None
            else:
                value = parser(cell, header)
        except CellError as error:
            problems.append((header, _shown(cell), error.zh, error.en))
            continue
        values[name] = value
        if value is None and required:
            problems.append((header, None, "必填项为空", "required cell is empty"))


def _key_value(value: Any) -> Any:
    # 1 == 1.0 == True: a cell's type is part of what it says.
    return value if value is None or value.__class__ is str else (value.__class__, value, repr(value))


# A column of a batch whose every cell is blank or plain ASCII digits (as the template's own export
# and most sheets write figures) is read in one pass: one regex over the column's cells joined, one
# conversion per cell. Each such cell is one the cell-by-cell parsers take by their first test, with
# this same result (``_int``: ASCII digits; ``_money``: ASCII, under 26 characters, ``_MONEY``), and
# a blank one is None for every kind. Any other column of the batch is parsed cell by cell.
_PLAIN_COLUMNS = {
    "int": (re.compile(r"(?:[0-9]{1,18})?(?:\n(?:[0-9]{1,18})?)*"), int),
    "money": (re.compile(r"(?:-?[0-9]{1,20}(?:\.[0-9]{1,2})?)?(?:\n(?:-?[0-9]{1,20}(?:\.[0-9]{1,2})?)?)*"), Decimal),
}
_PLAIN_BOOLS = {text: _bool(text, "") for text in ("是", "否", "Y", "N", "y", "n", "yes", "no", "Yes", "No", "true",
                                                 "false", "True", "False", "TRUE", "FALSE", "1", "0")}  # fmt: skip
_KIND_OF = {parser: kind for kind, parser in _PARSERS.items()}
_NOT_PLAIN = object()


def _plain_column(parser: Any, cells: Sequence[Any]) -> list[Any] | None:
    """The column's values when every cell is plain (see above); None when in doubt."""
    if set(map(type, cells)) != {str}:
        return None
    kind = _KIND_OF[parser]
    if kind == "bool":
        get = _PLAIN_BOOLS.get
        values = [None if not cell else get(cell, _NOT_PLAIN) for cell in cells]
        return None if _NOT_PLAIN in values else values
    plain = _PLAIN_COLUMNS.get(kind)
    if plain is None:
        return None
    pattern, convert = plain
    joined = "\n".join(cells)
    if joined.count("\n") != len(cells) - 1 or pattern.fullmatch(joined) is None:  # no cell holds a line break
        return None
    if "" not in cells:
        return list(map(convert, cells))
    return [convert(cell) if cell else None for cell in cells]


def _parse_column(cells: Sequence[Any], header: str, parser: Any, required: bool,
                  problems: dict[int, list[_Problem]]) -> list[Any]:  # fmt: skip
    """``_parse_cells`` for one column of a batch: its values, and each row's problems (by index)."""
    values: list[Any] = []
    for index, cell in enumerate(cells):
        found: list[_Problem] = []
        row: dict[str, Any] = {}
        _parse_cells({header: cell}, [(header, header, parser, required)], row, found)
        values.append(row.get(header))
        if found:
            problems.setdefault(index, []).extend(found)
    return values


class RowParser:
    """``parse_row`` for a stream of rows: the enterprise half of a row repeats on each of its years, so
    the enterprise cells of consecutive rows, when identical, are parsed once (same cells, same
    outcome). The rows of one enterprise then share one ``enterprise`` dict: treat it as read-only.
    ``parse_many`` parses a batch, its year's cells a column at a time."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._enterprise: tuple[dict[str, Any], list[_Problem]] = ({}, [])

    def _enterprise_half(self, raw: dict[str, Any]) -> tuple[dict[str, Any], list[_Problem], Any]:
        cells = tuple(map(raw.get, _ENTERPRISE_HEADERS))
        if cells == self._key:  # the previous row's cells (a key of raw cells is never a transformed one)
            return *self._enterprise, self._key
        key = cells if _TEXT_OR_NONE.issuperset(map(type, cells)) else tuple(map(_key_value, cells))
        if key != self._key:
            values: dict[str, Any] = {}
            found: list[_Problem] = []
            _parse_cells(raw, _ENTERPRISE_CELLS, values, found)
            self._key = key
            self._enterprise = ({n: v for n, v in values.items() if v is not None}, found)
        return *self._enterprise, key

    def parse(self, number: int, raw: dict[str, Any]) -> tuple[ParsedRow | None, list[RowProblem]]:
        enterprise, enterprise_problems, key = self._enterprise_half(raw)
        values: dict[str, Any] = {}
        found = list(enterprise_problems)
        _parse_cells(raw, _YEAR_CELLS, values, found)
        return self._row(number, enterprise, key, values, found)

    def parse_many(self, rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[ParsedRow | None, list[RowProblem]]]:
        """``parse`` of each row, in order (same rows, same outcomes)."""
        if not rows:
            return []
        halves = [self._enterprise_half(raw) for _, raw in rows]
        raws = [raw for _, raw in rows]
        try:  # the year's cells a column at a time, transposed in C when every row has every year column
            table: list[Sequence[Any]] = list(zip(*map(_YEAR_GETTER, raws), strict=True))
        except KeyError:
            table = [[raw.get(header) for raw in raws] for header, _, _, _ in _YEAR_CELLS]
        columns: list[tuple[str, Sequence[Any]]] = []
        problems: dict[int, list[_Problem]] = {}
        for (header, name, parser, required), cells in zip(_YEAR_CELLS, table, strict=True):
            values = _plain_column(parser, cells)
            if values is None or (required and None in values):
                values = _parse_column(cells, header, parser, required, problems)
            columns.append((name, values))
        names = [name for name, _ in columns]
        make = self._row
        parsed: list[tuple[ParsedRow | None, list[RowProblem]]] = []
        for index, ((number, _), (enterprise, enterprise_problems, key), row_values) in enumerate(
            zip(rows, halves, zip(*(values for _, values in columns), strict=True), strict=True)
        ):
            year = row_values[0]
            if year is not None and not enterprise_problems and index not in problems:
                # ``_row`` of a row without problems, in C: its figures but the blank ones
                figures = row_values[1:-1]
                filled = map(is_not, figures, repeat(None))
                financial = dict(compress(zip(FINANCIAL_FIELDS, figures, strict=True), filled))
                parsed.append((ParsedRow(number, enterprise, year, financial, row_values[-1], key), []))
                continue
            found = enterprise_problems + problems[index] if index in problems else list(enterprise_problems)
            parsed.append(make(number, enterprise, key, dict(zip(names, row_values, strict=True)), found))
        return parsed

    @staticmethod
    def _row(number: int, enterprise: dict[str, Any], key: Any, values: dict[str, Any],
             found: list[_Problem]) -> tuple[ParsedRow | None, list[RowProblem]]:  # fmt: skip
        year = values.get("year")
        if year is None and any(values.get(name) is not None for name in FINANCIAL_FIELDS):
            found.append(("财务年度", None, "填写了财务数据但缺少财务年度",
                          "financial figures given without the financial year"))  # fmt: skip
        if found:
            return None, [RowProblem(number, *problem) for problem in found]
        financial = {name: values[name] for name in FINANCIAL_FIELDS if values[name] is not None}
        return ParsedRow(number, enterprise, year, financial, values.get("version"), key), []


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
            # A number cell where Excel's double holds it exactly (≤ 15 digits), else its exact text.
            amount = Decimal(value)
            value = amount if len(amount.as_tuple().digits) <= 15 else f"{amount:.2f}"
        elif kind == "bool" and value is not None:
            value = "是" if value else "否"
        row.append(value)
    return row
