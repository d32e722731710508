"""The stated normalisation rules of the import, cell by cell: what is normalised, what is rejected."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.registry.domain.importing import CellError, MergedCell, parse_cell, parse_row
from services.registry.domain.model import mask_contact


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("86000000", Decimal("86000000")),
        ("86,000,000.00", Decimal("86000000.00")),
        ("８６０００００", Decimal("8600000")),  # full-width digits (NFKC)
        ("\u3000 1234.5 ", Decimal("1234.5")),
        (86000000, Decimal("86000000")),
        (1234.56, Decimal("1234.56")),
        ("-12.30", Decimal("-12.30")),
    ],
)
def test_money_is_normalised_by_the_stated_rules(raw: Any, expected: Decimal) -> None:
    assert parse_cell("money", raw, "营业收入(元)") == expected


@pytest.mark.parametrize("raw", ["500万元", "¥500", "1.234", "86,00,000", "1,2345", "abc", 1.005, True])
def test_money_that_would_need_a_guess_is_rejected(raw: Any) -> None:
    with pytest.raises(CellError):
        parse_cell("money", raw, "营业收入(元)")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2014-05-20", date(2014, 5, 20)),
        ("2014/5/20", date(2014, 5, 20)),
        ("2014.5.20", date(2014, 5, 20)),
        ("2014年5月20日", date(2014, 5, 20)),
        ("２０１４－０５－２０", date(2014, 5, 20)),
        (datetime(2014, 5, 20, 0, 0), date(2014, 5, 20)),
        (date(2014, 5, 20), date(2014, 5, 20)),
    ],
)
def test_dates_in_the_accepted_forms(raw: Any, expected: date) -> None:
    assert parse_cell("date", raw, "成立日期") == expected


@pytest.mark.parametrize("raw", ["2014年5月", "20/05/2014", "May 20, 2014", "2014-02-30", 41779, 41779.0])
def test_other_dates_are_rejected(raw: Any) -> None:
    with pytest.raises(CellError):
        parse_cell("date", raw, "成立日期")


@pytest.mark.parametrize("raw", ["2014-02-30", "2014-13-01", "0000-01-01", "+014-05-20", "2014--5-20", "2014-05-2x"])
def test_a_date_in_the_templates_own_form_is_read_as_the_general_rule_reads_it(raw: str) -> None:
    """The shape the template writes (2014-05-20) is read in C; whatever that refuses gets the same
    verdict and explanation as the general reading gives it."""
    with pytest.raises(CellError) as fast:
        parse_cell("date", raw, "成立日期")
    with pytest.raises(CellError) as general:
        parse_cell("date", raw.replace("-", "/"), "成立日期")  # the same date another way: never the C reading
    assert (fast.value.zh, fast.value.en) == (general.value.zh, general.value.en)


def test_a_credit_code_excel_turned_into_a_number_is_explained() -> None:
    for raw in (9.15301e17, "9.15301E+17"):
        with pytest.raises(CellError, match="scientific notation"):
            parse_cell("code", raw, "统一社会信用代码")
    assert parse_cell("code", 530102, "所在区县代码") == "530102"
    assert parse_cell("code", 530102.0, "所在区县代码") == "530102"


def test_whole_numbers_and_flags() -> None:
    assert parse_cell("int", 230.0, "从业人员") == 230
    assert parse_cell("int", "２３０", "从业人员") == 230
    with pytest.raises(CellError):
        parse_cell("int", 230.5, "从业人员")
    assert parse_cell("bool", "是", "是否审计") is True and parse_cell("bool", "否", "是否审计") is False
    with pytest.raises(CellError):
        parse_cell("bool", "可能", "是否审计")


def test_merged_cells_and_blank_required_cells_are_reported_with_their_row() -> None:
    with pytest.raises(CellError, match="merged"):
        parse_cell("text", MergedCell(None), "企业名称")
    parsed, problems = parse_row(7, {"企业名称": "  ", "统一社会信用代码": "91530100MA6K7U9X3K"})
    assert parsed is None
    assert {(p.row, p.column) for p in problems} == {(7, "企业名称"), (7, "所在区县代码"), (7, "行业代码")}


def test_financial_figures_need_their_year() -> None:
    row = {"企业名称": "云南测试有限公司", "统一社会信用代码": "91530100MA6K7U9X3K", "所在区县代码": "530102",
           "行业代码": "C3985", "营业收入(元)": "1000"}  # fmt: skip
    parsed, problems = parse_row(3, row)
    assert parsed is None and [p.column for p in problems] == ["财务年度"]


def test_contacts_are_masked() -> None:
    assert mask_contact("13812345678") == "138****5678"
    assert mask_contact("zhang@example.cn") == "z***@example.cn"
