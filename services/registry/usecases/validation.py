"""API-side validation: turns the registry domain's rules into pydantic-friendly checks.

The rules themselves (credit-code algorithm, GB/T 2260 divisions, GB/T 4754 classes, size
thresholds, key-field codes) live in ``services.registry.domain``; this module only adapts them
to field validators, raising ``ValueError`` with a bilingual message that problem+json shows.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from services.registry.domain import industries, regions, sme_size
from services.registry.domain import key_fields as key_field_catalogue
from services.registry.domain.uscc import validate_uscc
from shared.errors import Invalid


def _bilingual(error: Exception) -> str:
    zh = getattr(error, "zh", None) or getattr(error, "message_zh", None)
    en = getattr(error, "en", None) or getattr(error, "message_en", None) or str(error)
    return f"{zh} / {en}" if zh else str(en)


def uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except ValueError as error:
        raise ValueError(_bilingual(error)) from error


def county(value: str) -> str:
    code = value.strip()
    if not regions.is_county(code):
        raise ValueError(f"不是云南省的县级行政区划代码 / not a Yunnan county-level division code (GB/T 2260): {code}")
    return code


def prefecture_of(county_code: str) -> str:
    return regions.prefecture_of(county_code)


# A register holds a few hundred distinct industry classes, each named by 100,000 enterprises in an
# import: a valid code's canonical form is kept (an invalid one is checked each time it comes).
@lru_cache(maxsize=4096)
def industry(value: str) -> str:
    code = value.strip().upper()
    try:
        return industries.validate_class_code(code)
    except industries.IndustryCodeError:
        raise ValueError(f"不是有效的国民经济行业分类代码 / not a GB/T 4754-2017 industry class: {code}") from None


def key_fields(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if not key_field_catalogue.is_known(code)]
    if unknown:
        raise ValueError(f"未知的重点领域标签 / unknown key-field codes: {', '.join(unknown)}")
    return sorted(set(codes))


# A day that is never after today (the clock moves on): a date up to it needs no look at the clock,
# which costs more than the rest of the check (an import checks every enterprise's founding date).
_NOT_AFTER_TODAY = date.today()


def not_in_future(value: date | None) -> date | None:
    if value is not None and value > _NOT_AFTER_TODAY and value > date.today():
        raise ValueError("日期不能晚于今天 / the date is in the future")
    return value


def report_year(year: int) -> None:
    if not 1990 <= year <= date.today().year:
        detail = f"{year} not in 1990..this year"
        raise Invalid("bad-year", "Report year out of range", "财务年度超出范围", detail=detail)


class _Report(Protocol):
    operating_revenue: Any
    main_business_revenue: Any
    employees: int | None
    rd_staff: int | None
    total_assets: Any


def financial_consistency(report: _Report) -> None:
    if (
        report.operating_revenue is not None
        and report.main_business_revenue is not None
        and report.main_business_revenue > report.operating_revenue
    ):
        raise ValueError("主营业务收入不能大于营业收入 / main business revenue exceeds operating revenue")
    if report.employees is not None and report.rd_staff is not None and report.rd_staff > report.employees:
        raise ValueError("研发人员不能多于从业人员 / R&D staff exceed employees")


def three_years_after(start: date) -> date:
    try:
        return start.replace(year=start.year + 3)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 3, day=28)


def size_class(industry_code: str, report: _Report) -> str | None:
    return sme_size.size_class_code(industry_code, report.employees, report.operating_revenue, report.total_assets)
