"""Seed banks: pools by valid lower tier, closeness ranking, size from Yunnan's targets, prefecture split."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from services.eligibility.domain.facts import Facts, RdInstitution
from services.eligibility.domain.roadmaps.seedbank import Candidate, build_seed_bank, closeness
from services.eligibility.domain.vocabulary import Decision, Tier
from tests.unit.eligibility.builders import LAST, YI, condition, ip, plain, recognised, result, with_year

YEAR = 2026
KUNMING, DALI = "530100", "532900"


def innovative_holder(rd_share: str = "0.05", patents: int = 0) -> Facts:
    facts = plain(
        niche_years=4,
        recognitions=recognised(Tier.INNOVATIVE_SME, until=date(YEAR, 12, 31)),
        ip=ip(invention_patents=patents, class1=patents),
    )
    return with_year(
        facts,
        YEAR - 1,
        operating_revenue=YI,
        rd_expense=YI * Fraction(rd_share).numerator / Fraction(rd_share).denominator,
    )


def test_sizes_follow_the_2025_2027_plan() -> None:
    innovative = build_seed_bank([], YEAR, Tier.INNOVATIVE_SME)
    srdi = build_seed_bank([], YEAR, Tier.SRDI_SME)
    giant = build_seed_bank([], YEAR, Tier.LITTLE_GIANT)
    assert (innovative.growth_target, innovative.required_size) == (1000, 2000)
    assert (srdi.growth_target, srdi.required_size) == (500, 1000)
    # little giants 85 → 170 by 2027 over three years: 85/3 a year, ×3 = 85.
    assert (giant.growth_target, giant.multiplier, giant.required_size) == (Fraction(85, 3), 3, 85)
    assert innovative.filing_deadline == date(YEAR, 1, 31) == srdi.filing_deadline
    assert giant.filing_deadline is None and "省工业和信息化厅" in giant.filed_by.zh
    assert giant.shortfall == 85


def test_years_outside_the_plan_are_refused() -> None:
    with pytest.raises(ValueError, match="2028"):
        build_seed_bank([], 2028, Tier.SRDI_SME)


def test_pools_are_drawn_from_the_valid_lower_tier() -> None:
    candidates = [
        Candidate("holder", KUNMING, innovative_holder()),
        Candidate(
            "expired",
            KUNMING,
            replace(innovative_holder(), recognitions=recognised(Tier.INNOVATIVE_SME, until=date(YEAR - 1, 12, 31))),
        ),
        Candidate(
            "already-srdi",
            DALI,
            replace(innovative_holder(), recognitions=recognised(Tier.INNOVATIVE_SME, Tier.SRDI_SME)),
        ),
        Candidate("not-sme", DALI, replace(innovative_holder(), sme=False)),
    ]
    bank = build_seed_bank(candidates, YEAR, Tier.SRDI_SME)
    assert [c.enterprise_id for c in bank.selected] == ["holder"] and bank.pool_size == 1


def test_little_giant_pool_needs_two_invention_patents() -> None:
    srdi = recognised(Tier.SRDI_SME, until=date(YEAR, 12, 31))
    candidates = [
        Candidate("two", KUNMING, replace(innovative_holder(patents=2), recognitions=srdi)),
        Candidate("one", KUNMING, replace(innovative_holder(patents=1), recognitions=srdi)),
    ]
    assert [c.enterprise_id for c in build_seed_bank(candidates, YEAR, Tier.LITTLE_GIANT).selected] == ["two"]


def test_innovative_pool_is_any_sme_not_yet_recognised() -> None:
    candidates = [Candidate("new", DALI, plain()), Candidate("held", DALI, innovative_holder())]
    assert [c.enterprise_id for c in build_seed_bank(candidates, YEAR, Tier.INNOVATIVE_SME).selected] == ["new"]


def test_ranked_by_closeness_with_a_prefecture_split() -> None:
    close = with_year(
        innovative_holder(), YEAR - 1, main_business_revenue=YI, total_assets=YI, total_liabilities=YI / 2
    )
    candidates = [
        Candidate("far", KUNMING, innovative_holder("0.01")),
        Candidate("close", DALI, close),
        Candidate("middle", KUNMING, innovative_holder()),
    ]
    bank = build_seed_bank(candidates, YEAR, Tier.SRDI_SME)
    order = [c.enterprise_id for c in bank.selected]
    assert order[0] == "close" and order[-1] == "far"
    closeness_values = [c.closeness for c in bank.selected]
    assert closeness_values == sorted(closeness_values, reverse=True)
    assert bank.by_prefecture == {KUNMING: 2, DALI: 1}
    assert bank.rule_set == "srdi_sme@2026-04-01"


def test_unknown_prefectures_are_refused() -> None:
    with pytest.raises(ValueError, match="999999"):
        build_seed_bank([Candidate("x", "999999", plain())], YEAR, Tier.INNOVATIVE_SME)


def test_closeness_is_one_for_an_eligible_enterprise_and_counts_undetermined_as_half() -> None:
    eligible = result(plain(rd_institution=RdInstitution("national", True)), Tier.INNOVATIVE_SME)
    assert eligible.decision is Decision.ELIGIBLE and closeness(eligible)[0] == 1
    compliance_unknown = replace(plain(), compliance=None)
    found = result(compliance_unknown, Tier.SRDI_SME, YEAR)
    share, passed, checks = closeness(found)
    undetermined = sum(1 for c in found.conditions if c.status.value == "undetermined")
    assert undetermined >= 4 and 0 < share < 1 and passed < checks
    assert condition(compliance_unknown, Tier.SRDI_SME, "gate.major_accident_3y", YEAR).status.value == "undetermined"
    assert LAST == YEAR - 2  # builders' LAST belongs to 2025; this module works in 2026
