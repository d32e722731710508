"""National little giant (2022, annex 3) — every condition, written by hand from criteria.md §3."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.eligibility.domain.facts import Award, Facts, MakerChinaEntry, ProductField, RdInstitution
from services.eligibility.domain.vocabulary import Decision, PassedVia, Status, Tier
from tests.unit.eligibility.builders import (
    FEN,
    LAST,
    YI,
    Y,
    condition,
    ip,
    plain,
    quality,
    recognised,
    result,
    with_year,
)

TIER = Tier.LITTLE_GIANT


def giant(revenue: Decimal = YI, intensity: str = "0.03") -> Facts:
    """Meets every 2022 little-giant condition with room to spare, except where a test says otherwise."""
    facts = plain(
        established_on=date(2015, 3, 1),
        niche_years=8,
        recognitions=recognised(Tier.SRDI_SME),
        core_systems=("MES",),
        management_certs=("ISO9001",),
        quality=quality(own_brand=True),
        national_market_share=Decimal("0.15"),
        rd_institution=RdInstitution("municipal", True),
        ip=ip(class1=2, class1_applied_main_product=2),
        field=ProductField(chain_gap_filling=True, six_foundations="key_basic_materials"),
    )
    facts = with_year(facts, LAST - 2, main_business_revenue=revenue * Decimal("0.8"))
    facts = with_year(
        facts,
        LAST - 1,
        operating_revenue=revenue,
        main_business_revenue=revenue * Decimal("0.9"),
        rd_expense=revenue * Decimal(intensity),
    )
    return with_year(
        facts,
        LAST,
        operating_revenue=revenue,
        main_business_revenue=revenue * Decimal("0.9"),
        rd_expense=revenue * Decimal(intensity),
        total_assets=revenue,
        total_liabilities=revenue / 2,
        employees=200,
        rd_staff=40,
        audited=True,
    )


def test_the_reference_profile_qualifies_by_conditions() -> None:
    found = result(giant(), TIER)
    assert (found.decision, found.passed_via, found.score, found.indicators) == (
        Decision.ELIGIBLE,
        PassedVia.CONDITIONS,
        None,
        (),
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"recognitions": ()}, "lg.valid_srdi_title"),
        ({"recognitions": recognised(Tier.SRDI_SME, until=date(Y - 1, 12, 31))}, "lg.valid_srdi_title"),
        ({"established_on": date(Y - 3, 1, 1)}, "lg.operating_years"),  # 2 full years to the end of last year
        ({"niche_years": 2}, "lg.niche_years"),
        ({"core_systems": ("WMS",)}, "lg.core_systems"),
        ({"management_certs": (), "product_certs": ("FDA",)}, "lg.certification"),
        ({"national_market_share": Decimal("0.099999")}, "lg.national_market_share"),
        ({"quality": quality(own_brand=False)}, "lg.own_brand"),
        ({"field": ProductField(chain_gap_filling=False, six_foundations="x")}, "lg.chain"),
        ({"field": ProductField(chain_gap_filling=True)}, "lg.key_field"),
    ],
)
def test_each_static_condition_is_required(change: dict[str, Any], code: str) -> None:
    facts = replace(giant(), **change)
    assert condition(facts, TIER, code).status is Status.NOT_MET
    assert result(facts, TIER).decision is Decision.NOT_ELIGIBLE


def test_edges_of_the_static_conditions() -> None:
    facts = replace(
        giant(),
        established_on=date(Y - 4, 12, 31),
        niche_years=3,
        national_market_share=Decimal("0.1"),
        management_certs=(),
        product_certs=("ce",),
    )  # certification codes are case-insensitive
    assert result(facts, TIER).eligible


@pytest.mark.parametrize(("share", "met"), [("0.70", True), ("0.6999999", False)])
def test_main_business_share_at_least_seventy_percent(share: str, met: bool) -> None:
    facts = with_year(giant(), LAST, main_business_revenue=YI * Decimal(share))
    assert condition(facts, TIER, "lg.main_business_share").met is met


@pytest.mark.parametrize(("ratio", "met"), [("0.70", True), ("0.7000001", False)])
def test_debt_ratio_at_most_seventy_percent(ratio: str, met: bool) -> None:
    facts = with_year(giant(), LAST, total_liabilities=YI * Decimal(ratio))
    assert condition(facts, TIER, "lg.debt_ratio").met is met


@pytest.mark.parametrize(("nudge", "met"), [(Decimal(0), True), (-FEN, False)])
def test_two_year_average_growth_at_least_five_percent(nudge: Decimal, met: bool) -> None:
    facts = with_year(giant(), LAST - 2, main_business_revenue=YI)
    facts = with_year(facts, LAST - 1, main_business_revenue=YI * Decimal("1.05"))
    facts = with_year(facts, LAST, main_business_revenue=YI * Decimal("1.1025") + nudge)
    assert condition(facts, TIER, "lg.main_business_growth_avg").met is met


@pytest.mark.parametrize(
    ("revenue", "intensity", "eligible"),
    [
        (YI, "0.03", True),  # ≥ 1亿: 3% in each of the last 2 years
        (YI, "0.0299999", False),
        (YI - FEN, "0.03", False),  # just below 1亿: needs 6%
        (YI - FEN, "0.06", True),
        (Decimal(50_000_000), "0.06", True),
        (Decimal(50_000_000), "0.0599999", False),
    ],
)
def test_rd_intensity_threshold_depends_on_last_years_revenue(revenue: Decimal, intensity: str, eligible: bool) -> None:
    assert result(giant(revenue, intensity), TIER).eligible is eligible


def test_rd_intensity_must_hold_in_each_of_the_last_two_years() -> None:
    facts = with_year(giant(), LAST - 1, rd_expense=YI * Decimal("0.03") - FEN)
    found = condition(facts, TIER, "lg.innovation")
    assert found.status is Status.NOT_MET
    rd_input = found.details[0].details[0]
    assert rd_input.code == "lg.innovation.rd_input" and rd_input.status is Status.NOT_MET


def small_giant(equity: Decimal, rd_two_years: Decimal, staff: int) -> Facts:
    facts = giant(Decimal(40_000_000), "0.5")
    facts = with_year(
        facts, LAST, new_equity_financing=equity, rd_expense=rd_two_years / 2, rd_staff=staff, employees=100
    )
    return with_year(facts, LAST - 1, rd_expense=rd_two_years / 2)


@pytest.mark.parametrize(
    ("equity", "rd", "staff", "eligible"),
    [
        (Decimal(80_000_000), Decimal(30_000_000), 50, True),
        (Decimal(80_000_000) - FEN, Decimal(30_000_000), 50, False),
        (Decimal(80_000_000), Decimal(30_000_000) - FEN * 2, 50, False),
        (Decimal(80_000_000), Decimal(30_000_000), 49, False),
    ],
)
def test_below_fifty_million_revenue_needs_financing_rd_and_staff(
    equity: Decimal, rd: Decimal, staff: int, eligible: bool
) -> None:
    assert result(small_giant(equity, rd, staff), TIER).eligible is eligible


@pytest.mark.parametrize(
    ("change", "eligible"),
    [
        ({"rd_institution": RdInstitution("none", False)}, False),
        ({"ip": ip(class1=5, class1_applied_main_product=1)}, False),
        ({"rd_institution": RdInstitution("none", False), "awards": (Award("national", Y - 2, rank=3),)}, True),
        ({"rd_institution": RdInstitution("none", False), "awards": (Award("national", Y - 2, rank=4),)}, False),
        ({"rd_institution": RdInstitution("none", False), "maker_china": (MakerChinaEntry(Y - 1, "top50"),)}, True),
        ({"rd_institution": RdInstitution("none", False), "maker_china": (MakerChinaEntry(Y - 1, "top500"),)}, False),
    ],
)
def test_innovation_general_route_or_direct_route(change: dict[str, Any], eligible: bool) -> None:
    assert result(replace(giant(), **change), TIER).eligible is eligible


def test_yunnan_requires_audited_statements() -> None:
    facts = with_year(giant(), LAST, audited=False)
    found = result(facts, TIER)
    assert found.decision is Decision.NOT_ELIGIBLE
    assert [g.code for g in found.gaps] == ["lg.audited"]
