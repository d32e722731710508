"""The 2011 SME size standard has one copy; the registry and eligibility decide every case alike.

The case that used to split them: railway transport (GB/T 4754-2017 division G53). The standard's scope
(第二条) reads "交通运输业（不含铁路运输业）", so G53 is not in the transport group and falls to the
other industries (SME below 300 employees), in both services.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.eligibility.domain.facts import Facts, FinancialYear
from services.eligibility.domain.facts.industry import parse_industry_code, size_class
from services.eligibility.domain.facts.measured import Context
from services.eligibility.domain.facts.metrics import measure
from services.eligibility.domain.rulebook import load_rule_book, reference_date
from services.registry.domain.sme_size import SME_CLASSES, classify, group_of
from shared.standards.sme_size import sme_size_table

BOOK = load_rule_book()


def eligibility_says_sme(industry: str, employees: int, revenue: int) -> bool | None:
    facts = Facts(
        industry_code=industry,
        financials=(FinancialYear(2024, employees=employees, operating_revenue=Decimal(revenue)),),
    )
    value = measure(facts, Context(2025, BOOK.size_standard(reference_date(2025))), "is_sme", 1, None).value
    assert value is None or isinstance(value, bool)
    return value


def registry_says_sme(industry: str, employees: int, revenue: int) -> bool | None:
    size = classify(industry, employees, Decimal(revenue)).size_class
    return None if size is None else size in SME_CLASSES


@pytest.mark.parametrize("code", ["G5311", "G531", "G53", "5311"])
def test_railway_transport_is_not_in_the_transport_group_anywhere(code: str) -> None:
    assert group_of(code) == "other"
    parsed = parse_industry_code(code if code[0].isalpha() else "G" + code)
    assert parsed is not None
    assert size_class(BOOK.size_standard(reference_date(2025)), parsed).code == "other"


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "sme"),
    [
        ("G5311", 500, 50_000_000, False),  # rail: other industries, 300 employees is the bound
        ("G5311", 299, 50_000_000, True),
        ("G5411", 500, 50_000_000, True),  # road transport: 1,000 employees or 30,000万 revenue
        ("G5411", 1000, 300_000_000, False),
        ("C3985", 999, 400_000_000, True),
        ("I6513", 300, 100_000_000, False),
        ("K7020", 1000, 50_000_000, False),  # property management
        ("K7020", 999, 50_000_000, True),
    ],
)
def test_registry_and_eligibility_decide_alike(industry: str, employees: int, revenue: int, sme: bool) -> None:
    assert registry_says_sme(industry, employees, revenue) is sme
    assert eligibility_says_sme(industry, employees, revenue) is sme


def test_eligibility_reads_the_shared_table_bounds() -> None:
    standard = BOOK.size_standard(reference_date(2025))
    table = sme_size_table()
    assert standard.id == table.id
    assert [c.code for c in standard.classes] == [g.code for g in table.groups]
    for cls, group in zip(standard.classes, table.groups, strict=True):
        assert cls.revenue_below == group.minima["large"].get("revenue")
        assert cls.employees_below == group.minima["large"].get("employees")
