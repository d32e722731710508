"""The import's fast paths decide exactly as the slow ones they stand in for: the API's schemas, the
cell-by-cell parse, and openpyxl's own reading of a sheet."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from services.registry.api.schemas import EnterpriseCreate, FinancialReportIn
from services.registry.domain.demo import generate_population
from services.registry.domain.importing import (
    COLUMNS,
    ENTERPRISE_FIELDS,
    HEADERS,
    MergedCell,
    RowParser,
    export_row,
    iter_rows_xlsx,
    merged_cells,
    parse_row,
)
from services.registry.persistence import bulk
from services.registry.usecases.importer import TEMPLATE_ENTERPRISE, BatchParser, BatchValidator, report_as_is
from shared.identity import Principal, Role

AMOUNTS = [Decimal("0"), Decimal("-0"), Decimal("12.30"), Decimal("1.005"), Decimal("-5"), Decimal(10) ** 14,
           Decimal(10) ** 14 + 1, Decimal("NaN"), Decimal("Infinity"), 7, "7", None]  # fmt: skip
COUNTS = [0, 230, -1, 10_000_000, 10_000_001, True, 3.0, "3", None]


def _schema(figures: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", FinancialReportIn.model_validate(figures).model_dump()
    except ValidationError as error:
        return "refused", [(e["loc"], e["type"]) for e in error.errors()]


FIGURES = [
    *itertools.product(AMOUNTS, [Decimal("5"), None], [Decimal("-3.5")], [230], [41], [True]),
    *itertools.product([Decimal("100")], [Decimal("100"), Decimal("100.01")], [Decimal(-(10**14) - 1), None],
                       COUNTS, [0, 231, None], [False, 1, None]),
]  # fmt: skip


@pytest.mark.parametrize(("revenue", "main", "profit", "employees", "rd_staff", "audited"), FIGURES)
def test_a_years_figures_are_taken_as_they_are_only_when_the_schema_would_take_them(
    revenue: Any, main: Any, profit: Any, employees: Any, rd_staff: Any, audited: Any
) -> None:
    figures = {"operating_revenue": revenue, "main_business_revenue": main, "net_profit": profit,
               "employees": employees, "rd_staff": rd_staff, "audited": audited}  # fmt: skip
    figures = {name: value for name, value in figures.items() if value is not None}
    fast = report_as_is(figures)
    if fast is not None:
        assert _schema(figures) == ("ok", fast)


def test_the_fast_path_takes_what_the_importer_usually_parses() -> None:
    figures = {"operating_revenue": Decimal("75000000"), "main_business_revenue": Decimal("70000000"),
               "rd_expense": Decimal("3600000.50"), "net_profit": Decimal("-12.30"), "total_assets": Decimal("9"),
               "total_liabilities": Decimal("0"), "employees": 230, "rd_staff": 41,
               "new_equity_financing": Decimal("0"), "audited": True}  # fmt: skip
    assert report_as_is(figures) == FinancialReportIn.model_validate(figures).model_dump()


ENTERPRISES = [
    {"uscc": "91530100MA6K7U9X3K", "name": "云南测试有限公司", "county_code": "530102", "industry_code": "C3985",
     "established_on": date(2014, 5, 20), "niche_since": 2015, "main_products": ["高纯锗单晶", "锗片"],
     "contact_email": "ops@example.cn", "contact_phone": "13812345678", "legal_representative": "张三",
     "niche_market": "电子专用材料"},
    {"uscc": "91530100MA6K7U9X3A", "name": "云", "county_code": "110101", "industry_code": "Z9999"},
    {"uscc": "91530100MA6K7U9X3K", "name": "云南\u200b测试有限公司", "county_code": "530102", "industry_code": "c3985",
     "established_on": date(2999, 1, 1), "niche_since": 1900, "main_products": ["x" * 201]},
    {"uscc": "91530100MA6K7U9X3K", "name": "云南测试有限公司", "county_code": "530102"},
]  # fmt: skip


@pytest.mark.parametrize("cells", ENTERPRISES)
def test_the_templates_enterprise_schema_decides_as_enterprise_create(cells: dict[str, Any]) -> None:
    def verdict(schema: Any) -> Any:
        try:
            validated = schema.model_validate(cells)
        except ValidationError as error:
            return [(e["loc"], e["type"], e["msg"]) for e in error.errors()]
        return {name: getattr(validated, name) for name in ENTERPRISE_FIELDS}

    assert verdict(TEMPLATE_ENTERPRISE) == verdict(EnterpriseCreate)


def _row(**cells: Any) -> dict[str, Any]:
    base = {"企业名称": "云南测试有限公司", "统一社会信用代码": "91530100MA6K7U9X3K", "所在区县代码": "530102",
            "行业代码": "C3985", "财务年度": "2023", "营业收入(元)": "1,000"}  # fmt: skip
    return base | cells


def test_consecutive_rows_parse_as_each_alone() -> None:
    """The enterprise half is parsed once for identical consecutive cells — and only then: a cell of
    another type (1, 1.0, True, "1") or a merged one is parsed again."""
    rows = [
        _row(),
        _row(**{"财务年度": "2024", "营业收入(元)": "2,000"}),
        _row(进入细分市场年份=2015),
        _row(进入细分市场年份=2015.0),
        _row(进入细分市场年份=True),
        _row(进入细分市场年份="2015"),
        _row(成立日期=datetime(2014, 5, 20)),
        _row(成立日期="2014-05-20"),
        _row(企业名称=MergedCell("云南测试有限公司")),
        _row(企业名称=MergedCell(None)),
        _row(企业名称="  "),
        _row(企业名称="  ", 财务年度="x"),
        _row(**{"营业收入(元)": "500万元"}),
        _row(**{"营业收入(元)": "８６０００００"}),
        _row(主导产品="甲；乙、丙"),
        _row(统一社会信用代码="9.15301E+17"),
        _row(统一社会信用代码="９１５３０１００ＭＡ６Ｋ７Ｕ９Ｘ３Ｋ"),
    ]
    parser = RowParser()
    for number, raw in enumerate(rows + rows[::-1], start=2):
        assert parser.parse(number, raw)[:2] == parse_row(number, raw), raw


def _sheet_values(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """openpyxl's own reading (read-only, values), rows kept as the importer keeps them."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    merged = merged_cells(str(path))
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        found = []
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            raw = dict(zip(header, values, strict=False))
            for column, name in enumerate(header, start=1):
                if (number, column) in merged:
                    raw[name] = MergedCell(raw.get(name))
            found.append((number, raw))
        return found
    finally:
        workbook.close()


@pytest.mark.parametrize("write_only", [False, True])
def test_the_sheet_is_read_as_openpyxl_reads_it(tmp_path: Path, write_only: bool) -> None:
    """Shared strings (a saved workbook) and inline strings (a streamed one), dates, numbers, booleans,
    blank and missing rows, a merged range; with and without a stated dimension."""
    headers = list(COLUMNS)
    rows: list[list[Any]] = [
        ["云南甲有限公司", "91530100MA6K7U9X3K", "张三", datetime(2014, 5, 20), "530102", "C3985", "材料", 2015,
         "甲；乙", "13812345678", "a@example.cn", 2023, 86000000, 1234.56, "1,000.5", -12.3, 5, 0, 230, 41.0, None,
         True, None],
        [None] * len(headers),
        ["云南乙有限公司", "91530100MA6K7U9X3K", None, "2014/5/20", 530102, "C3985", None, None, None, None, None,
         "2024", "８６０", None, None, None, None, None, "230", None, None, "否", 1],
    ]  # fmt: skip
    path = tmp_path / "sheet.xlsx"
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("企业名录") if write_only else workbook.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if not write_only:
        sheet.append([])
        sheet.cell(row=7, column=1, value="云南丙有限公司")
        sheet.cell(row=7, column=2, value="91530100MA6K7U9X3K")
        sheet.cell(row=8, column=1, value="合并")
        sheet.merge_cells("A8:B9")
        sheet.cell(row=9, column=3, value="x")
    workbook.save(path)
    expected = _sheet_values(path)
    assert len(expected) >= 2
    assert list(iter_rows_xlsx(str(path))) == expected


# Year cells as sheets and clerks write them: plain digits (the column fast path) and everything else.
YEAR_CELLS: dict[str, list[Any]] = {
    "财务年度": ["2023", "", "２０２３", " 2024", "2024.0", "x", 2024, None, "99999999999999999999"],
    "营业收入(元)": ["1000", "1000.5", "1000.55", "1000.555", "-7", "1,000", " 12", "", "12万元", "1\n2",
                   "1" * 21, "1" * 20, 12.5, 3, None, MergedCell("9")],
    "净利润(元)": ["-120.50", "+5", "--5", "-", ".5", "5."],
    "从业人员": ["12", "0", "-1", "1.0", "１２", True, ""],
    "是否审计": ["是", "否", "yes", "TRUE", "1", "0", " 是", "Y", "maybe", "", True, None],
    "版本号": ["3", "", "3.5", "v3"],
}


@pytest.mark.parametrize("header", list(YEAR_CELLS))
def test_a_batch_parses_as_its_rows_each_alone(header: str) -> None:
    """``parse_many`` reads the year's cells a column at a time, taking a column of plain cells in one
    pass: every batch, plain or not, must parse exactly as its rows one by one."""
    cells = YEAR_CELLS[header]
    plain = [cell for cell in cells if isinstance(cell, str) and cell.isascii() and cell.replace(".", "").isdigit()]
    batches = [[_row(**{header: cell}) for cell in cells]]  # mixed: the column is parsed cell by cell
    batches += [[_row(**{header: cell}) for cell in [*plain, ""]]]  # plain (and blank) only
    batches += [[_row(**{header: cell}) for cell in pair] for pair in itertools.combinations(cells, 2)]
    # every column present, as in a file of the whole template (the batch is transposed at once)
    batches += [[dict.fromkeys(COLUMNS, "") | row for row in batch] for batch in batches[:2]]
    for batch in batches:
        rows = list(enumerate(batch, start=2))
        alone = [RowParser().parse(number, raw) for number, raw in rows]
        assert RowParser().parse_many(rows) == alone, batch


def test_a_new_enterprises_event_is_written_byte_for_byte_as_pydantic_writes_it() -> None:
    """``bulk.registered_json`` writes the registration event without building its models: the same
    bytes as the validated event's ``model_dump_json``, on demo enterprises read the importer's way
    (blank cells, negative profits, no years) and on awkward text."""
    rows = []
    for demo in generate_population(300, seed=11):
        reports: list[dict[str, Any] | None] = [report | {"year": year} for year, report in demo.financials.items()]
        for report in reports or [None]:
            cells = export_row(demo.enterprise, report)
            rows.append({header: None if c is None else str(c) for header, c in zip(HEADERS, cells, strict=True)})
    rows[0] |= {"企业名称": '云南"引号\\反斜杠 ✓ 有限公司', "主导产品": "甲；乙\u2028丙", "法定代表人": None}
    parsed = BatchParser(enumerate(rows, start=2), chunk_rows=len(rows)).next_batch()
    assert parsed is not None
    batch = BatchValidator(Principal(Role.ADMIN, None, "test"), prepare=True).validate(parsed)
    assert not batch.problems and len(batch.units) == 300
    for unit in batch.units.values():
        assert unit.prepared is not None
        values = bulk._new_row(unit, datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
        years = [bulk._report_row(unit.uscc, year, report, values["created_at"])
                 for year, report in sorted(unit.reports.items())]  # fmt: skip
        assert unit.prepared.event.data == bulk._registered(unit, values, years).model_dump_json().encode()
