"""Test data: a plain profile that passes every gate, and small helpers to change one fact at a time.

Amounts are in yuan (Decimal). `Y` is the assessment year used throughout; Y-1 is "last year".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from services.eligibility.domain.engine import assess
from services.eligibility.domain.engine.results import ConditionResult, IndicatorResult, TierResult
from services.eligibility.domain.facts import (
    Compliance,
    Facts,
    FinancialYear,
    IntellectualProperty,
    Quality,
    Recognition,
)
from services.eligibility.domain.vocabulary import Tier

Y = 2025
LAST = Y - 1
CLEAN = Compliance(False, False, False, False)
YI = Decimal(100_000_000)  # 1亿元
FEN = Decimal("0.01")


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def year(y: int, **values: Any) -> FinancialYear:
    converted: dict[str, Any] = {
        k: money(v) if isinstance(v, int | float | str) and k not in ("employees", "rd_staff") else v
        for k, v in values.items()
    }
    return FinancialYear(y, **converted)


def plain(**overrides: Any) -> Facts:
    """An SME with clean compliance and nothing else: every indicator starts from "not supplied"."""
    base = Facts(uscc="91530100MA6K7U9X3K", industry_code="C3985", sme=True, compliance=CLEAN)
    return replace(base, **overrides)


def with_year(facts: Facts, y: int, **changes: Any) -> Facts:
    """Set fields of year `y` (creating it), keeping the other years."""
    current = facts.year(y) or FinancialYear(y)
    converted: dict[str, Any] = {
        k: money(v) if k not in ("employees", "rd_staff", "audited") and v is not None else v
        for k, v in changes.items()
    }
    updated = replace(current, **converted)
    others = tuple(f for f in facts.financials if f.year != y)
    return replace(facts, financials=(*others, updated))


def recognised(*tiers: Tier, until: date = date(Y + 1, 12, 31)) -> tuple[Recognition, ...]:
    return tuple(Recognition(t, until) for t in tiers)


def result(facts: Facts, tier: Tier, assessment_year: int = Y, **kwargs: Any) -> TierResult:
    return assess(facts, assessment_year, tiers=[tier], **kwargs)[0]


def indicator(facts: Facts, tier: Tier, code: str, assessment_year: int = Y) -> IndicatorResult:
    return next(i for i in result(facts, tier, assessment_year).indicators if i.code == code)


def condition(facts: Facts, tier: Tier, code: str, assessment_year: int = Y, **kwargs: Any) -> ConditionResult:
    return next(c for c in result(facts, tier, assessment_year, **kwargs).conditions if c.code == code)


def ip(**counts: int | None) -> IntellectualProperty:
    zero = dict.fromkeys(
        (
            "class1_high_value",
            "class1_self_developed",
            "class1",
            "class2",
            "invention_patents",
            "class1_applied_main_product",
        ),
        0,
    )
    return IntellectualProperty(**{**zero, **counts})


def quality(**flags: bool) -> Quality:
    return Quality(
        **{
            **dict.fromkeys(
                ("provincial_quality_award", "quality_system_certified", "own_brand", "standards_drafted"), False
            ),
            **flags,
        }
    )
