"""The general gate, checked for every tier (the SME clause for every tier but the national champion)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from services.eligibility.domain.facts import Compliance
from services.eligibility.domain.vocabulary import Decision, Status, Tier
from tests.unit.eligibility.builders import CLEAN, FEN, LAST, condition, plain, result, with_year

ALL_TIERS = list(Tier)


def direct_innovative(**changes: Any):  # type: ignore[no-untyped-def]
    """Qualifies as an innovative SME by a direct condition, so only the gate can stop it."""
    from services.eligibility.domain.facts import RdInstitution

    return replace(plain(rd_institution=RdInstitution("national", True)), **changes)


def test_the_direct_route_profile_qualifies() -> None:
    assert result(direct_innovative(), Tier.INNOVATIVE_SME).eligible


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("abnormal_operation_list", "gate.abnormal_operation_list"),
        ("serious_dishonesty_list", "gate.serious_dishonesty_list"),
        ("major_accident_3y", "gate.major_accident_3y"),
        ("prohibited_products", "gate.prohibited_products"),
    ],
)
@pytest.mark.parametrize("tier", ALL_TIERS)
def test_each_gate_clause_blocks_every_tier(field: str, code: str, tier: Tier) -> None:
    facts = direct_innovative(compliance=replace(CLEAN, **{field: True}))
    found = condition(facts, tier, code)
    assert found.status is Status.NOT_MET
    assert result(facts, tier).decision is Decision.NOT_ELIGIBLE
    assert any(g.code == code for g in result(facts, tier).gaps)


def test_a_gate_clause_not_supplied_fails_in_2022_and_is_undetermined_in_2026() -> None:
    facts = direct_innovative(compliance=Compliance(False, False, None, False))
    assert condition(facts, Tier.INNOVATIVE_SME, "gate.major_accident_3y").status is Status.NOT_MET
    assert "未提供" in condition(facts, Tier.INNOVATIVE_SME, "gate.major_accident_3y").explanation.zh
    assert condition(facts, Tier.SRDI_SME, "gate.major_accident_3y", 2026).status is Status.UNDETERMINED


def test_the_sme_clause_applies_to_all_tiers_but_the_national_champion() -> None:
    facts = direct_innovative(sme=False)
    assert condition(facts, Tier.INNOVATIVE_SME, "gate.sme").status is Status.NOT_MET
    assert not result(facts, Tier.INNOVATIVE_SME).eligible
    assert all(c.code != "gate.sme" for c in result(facts, Tier.SINGLE_CHAMPION).conditions)
    assert any(c.code == "gate.sme" for c in result(facts, Tier.SINGLE_CHAMPION_PROVINCIAL).conditions)


def sized(industry: str, employees: int | None, revenue: Decimal | None, assets: Decimal | None = None):  # type: ignore[no-untyped-def]
    facts = direct_innovative(sme=None, industry_code=industry)
    return with_year(facts, LAST, employees=employees, operating_revenue=revenue, total_assets=assets)


BIG = Decimal(400_000_000)


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "status"),
    [
        ("C3985", 999, BIG * 2, None, Status.MET),  # industry: fewer than 1,000 employees …
        ("C3985", 1000, BIG - FEN, None, Status.MET),  # … or revenue below 40,000万
        ("C3985", 1000, BIG, None, Status.NOT_MET),
        ("B0610", 1000, BIG, None, Status.NOT_MET),
        ("I6510", 299, None, None, Status.MET),  # software and IT services: 300 / 10,000万
        ("I6510", 300, Decimal(100_000_000), None, Status.NOT_MET),
        ("F5191", 199, None, None, Status.MET),  # wholesale: 200 employees
        ("K7010", None, Decimal(3_000_000_000), Decimal(99_999_999), Status.MET),  # real estate: assets < 1亿
        ("S9000", 299, None, None, Status.MET),  # other industries: fewer than 300 employees
        ("C3985", None, None, None, Status.NOT_MET),  # nothing to classify with: not supplied
        ("C3985", 1000, None, None, Status.NOT_MET),  # one bound fails, the other unknown: not shown
    ],
)
def test_sme_derived_from_the_size_standard(
    industry: str, employees: int | None, revenue: Decimal | None, assets: Decimal | None, status: Status
) -> None:
    assert condition(sized(industry, employees, revenue, assets), Tier.INNOVATIVE_SME, "gate.sme").status is status


def test_retail_with_three_hundred_employees_and_revenue_at_the_bound_is_not_an_sme() -> None:
    facts = sized("F5291", 300, Decimal(200_000_000))
    assert condition(facts, Tier.INNOVATIVE_SME, "gate.sme").status is Status.NOT_MET


def test_an_unclassifiable_sme_is_undetermined_under_2026_rules() -> None:
    facts = sized("C3985", None, None)
    assert condition(facts, Tier.SRDI_SME, "gate.sme", 2026).status is Status.UNDETERMINED
