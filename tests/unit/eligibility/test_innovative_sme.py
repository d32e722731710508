"""Innovative SME (2022, annex 1) — golden values written by hand from criteria.md §1.

Each band edge is tested with the value exactly on the edge (better band) and one fen / one unit
below it (the next band down).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest

from services.eligibility.domain.facts import Award, Honour, ProductField, RdInstitution
from services.eligibility.domain.vocabulary import Decision, PassedVia, Status, Tier
from tests.unit.eligibility.builders import FEN, LAST, YI, Y, condition, indicator, ip, plain, result, with_year

TIER = Tier.INNOVATIVE_SME


def rd_at(ratio: str, nudge: Decimal = Decimal(0)):  # type: ignore[no-untyped-def]
    return with_year(plain(), LAST, operating_revenue=YI, rd_expense=YI * Decimal(ratio) + nudge)


@pytest.mark.parametrize(
    ("ratio", "on_edge", "below"),
    [("0.05", 20, 15), ("0.03", 15, 10), ("0.02", 10, 5), ("0.01", 5, 0)],
)
def test_rd_intensity_edges(ratio: str, on_edge: int, below: int) -> None:
    assert indicator(rd_at(ratio), TIER, "innovative.rd_intensity").points == on_edge
    assert indicator(rd_at(ratio, -FEN), TIER, "innovative.rd_intensity").points == below


def growth_at(rate: str, nudge: Decimal = Decimal(0)):  # type: ignore[no-untyped-def]
    facts = with_year(plain(), LAST - 1, main_business_revenue=YI)
    return with_year(facts, LAST, main_business_revenue=YI * (1 + Decimal(rate)) + nudge)


@pytest.mark.parametrize(
    ("rate", "on_edge", "below"),
    [("0.15", 20, 15), ("0.10", 15, 10), ("0.05", 10, 5), ("0", 5, 0)],
)
def test_main_business_growth_edges(rate: str, on_edge: int, below: int) -> None:
    assert indicator(growth_at(rate), TIER, "innovative.main_business_growth").points == on_edge
    assert indicator(growth_at(rate, -FEN), TIER, "innovative.main_business_growth").points == below


def test_growth_of_exactly_fifteen_percent_is_not_lost_to_binary_floats() -> None:
    # pitfalls.md: 1.15 - 1 is 0.1499999… in floating point.
    facts = with_year(with_year(plain(), LAST - 1, main_business_revenue=1), LAST, main_business_revenue="1.15")
    found = indicator(facts, TIER, "innovative.main_business_growth")
    assert (found.points, found.band, found.value) == (20, "A", Decimal("0.1500"))


def test_growth_with_a_zero_base_year_scores_zero_and_says_why() -> None:
    facts = with_year(with_year(plain(), LAST - 1, main_business_revenue=0), LAST, main_business_revenue=YI)
    found = indicator(facts, TIER, "innovative.main_business_growth")
    assert found.points == 0 and found.band is None
    assert "为零" in found.explanation.zh and "undefined" in found.explanation.en


def test_growth_without_the_base_year_is_not_supplied() -> None:
    found = indicator(with_year(plain(), LAST, main_business_revenue=YI), TIER, "innovative.main_business_growth")
    assert found.points == 0 and "未提供" in found.explanation.zh and "not supplied" in found.explanation.en


def debt_at(ratio: str, nudge: Decimal = Decimal(0)):  # type: ignore[no-untyped-def]
    return with_year(plain(), LAST, total_assets=YI, total_liabilities=YI * Decimal(ratio) + nudge)


@pytest.mark.parametrize(("ratio", "on_edge", "above"), [("0.55", 10, 5), ("0.75", 5, 0)])
def test_debt_ratio_edges_lower_is_better(ratio: str, on_edge: int, above: int) -> None:
    assert indicator(debt_at(ratio), TIER, "innovative.debt_ratio").points == on_edge
    assert indicator(debt_at(ratio, FEN), TIER, "innovative.debt_ratio").points == above


def share_at(ratio: str, nudge: Decimal = Decimal(0)):  # type: ignore[no-untyped-def]
    return with_year(plain(), LAST, operating_revenue=YI, main_business_revenue=YI * Decimal(ratio) + nudge)


@pytest.mark.parametrize(
    ("ratio", "on_edge", "below"),
    [("0.70", 20, 15), ("0.60", 15, 10), ("0.55", 10, 5), ("0.50", 5, 0)],
)
def test_main_business_share_edges(ratio: str, on_edge: int, below: int) -> None:
    assert indicator(share_at(ratio), TIER, "innovative.main_business_share").points == on_edge
    assert indicator(share_at(ratio, -FEN), TIER, "innovative.main_business_share").points == below


@pytest.mark.parametrize(
    ("counts", "points"),
    [
        ({"class1_high_value": 1, "class1": 1}, 20),
        ({"class1_self_developed": 1, "class1": 1}, 15),
        ({"class1": 1}, 10),
        ({"class2": 1}, 5),
        ({}, 0),
    ],
)
def test_ip_ladder(counts: dict[str, int], points: int) -> None:
    assert indicator(plain(ip=ip(**counts)), TIER, "innovative.ip_main_product").points == points


def test_ip_not_supplied_scores_zero_without_a_band() -> None:
    found = indicator(plain(), TIER, "innovative.ip_main_product")
    assert (found.points, found.band) == (0, None) and "未提供" in found.explanation.zh


@pytest.mark.parametrize(("emerging", "points"), [(True, 10), (False, 5), (None, 0)])
def test_field_strategic_emerging_or_other(emerging: bool | None, points: int) -> None:
    facts = plain(field=ProductField(strategic_emerging=emerging))
    assert indicator(facts, TIER, "innovative.field").points == points


def scoring_profile(rd_ratio: str, growth: str, share: str, debt: str = "0.50"):  # type: ignore[no-untyped-def]
    facts = plain(ip=ip(), field=ProductField(strategic_emerging=True))
    facts = with_year(facts, LAST - 1, main_business_revenue=YI)
    main = YI * (1 + Decimal(growth))
    # Rounded to the fen on the safe side of each edge: these tests are about totals, not edges.
    revenue = (main / Decimal(share)).quantize(FEN, ROUND_FLOOR)
    rd = (revenue * Decimal(rd_ratio)).quantize(FEN, ROUND_CEILING)
    return with_year(
        facts,
        LAST,
        operating_revenue=revenue,
        main_business_revenue=main,
        rd_expense=rd,
        total_assets=YI,
        total_liabilities=YI * Decimal(debt),
    )


def test_sixty_points_with_every_group_minimum_passes_by_score() -> None:
    # innovation: IP 0 + R&D 5% (20) = 20; growth: 10% (15) + debt 50% (10) = 25;
    # specialisation: strategic emerging (10) + share 50% (5) = 15. Total 60.
    found = result(scoring_profile("0.05", "0.10", "0.50"), TIER)
    assert (found.score, found.decision, found.passed_via) == (60, Decision.ELIGIBLE, PassedVia.SCORE)


def test_below_sixty_points_fails_and_the_gap_says_how_many_points() -> None:
    # innovation 20; growth 5% (10) + debt 75% (5) = 15; specialisation 10 + share 55% (10) = 20. Total 55.
    found = result(scoring_profile("0.05", "0.05", "0.55", debt="0.75"), TIER)
    assert (found.score, found.decision) == (55, Decision.NOT_ELIGIBLE)
    assert any(g.code == "innovative_sme.score" and "还需5分" in g.message.zh for g in found.gaps)


def test_a_group_below_its_minimum_fails_even_at_sixty_points() -> None:
    # innovation 15 (< 20) although the total is 65: R&D 3% (15), growth 15% (20) + debt (10), field + share 70%.
    found = result(scoring_profile("0.03", "0.15", "0.70"), TIER)
    assert found.score == 15 + 30 + 30
    assert found.decision is Decision.NOT_ELIGIBLE
    group = next(c for c in found.conditions if c.code == "innovative_sme.score.innovation")
    assert (group.status, group.value, group.threshold) == (Status.NOT_MET, 15, 20)


@pytest.mark.parametrize(
    "direct",
    [
        {"awards": (Award("provincial", Y - 3),)},
        {"awards": (Award("national", Y - 1, rank=9),)},
        {"honours": (Honour("ip_demo", date(Y, 1, 1)),)},
        {"rd_institution": RdInstitution(level="provincial")},
        {"rd_institution": RdInstitution(level="national")},
    ],
)
def test_each_direct_condition_qualifies_without_a_score(direct: dict[str, object]) -> None:
    found = result(plain(**direct), TIER)  # type: ignore[arg-type]
    assert (found.decision, found.passed_via, found.score) == (Decision.ELIGIBLE, PassedVia.DIRECT, 0)


@pytest.mark.parametrize(
    "not_direct",
    [
        {"awards": (Award("provincial", Y - 4),)},  # outside the last three years
        {"awards": (Award("provincial", Y),)},  # the assessment year itself is not "the last three years"
        {"honours": (Honour("high_tech_enterprise", date(Y - 1, 12, 31)),)},  # expired before 1 January
        {"rd_institution": RdInstitution(level="municipal")},
    ],
)
def test_near_misses_of_direct_conditions(not_direct: dict[str, object]) -> None:
    assert result(plain(**not_direct), TIER).decision is Decision.NOT_ELIGIBLE  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "met"), [("5000000", True), ("4999999.99", False)])
def test_equity_financing_over_three_years_sums_the_entries(amount: str, met: bool) -> None:
    total = Decimal(amount)
    facts = with_year(plain(), Y - 3, new_equity_financing=total - 3_000_000)
    facts = with_year(facts, Y - 1, new_equity_financing=3_000_000)  # Y-2 has no entry: adds nothing
    found = condition(facts, TIER, "innovative.direct.equity_financing")
    assert found.met is met and found.value == total and found.threshold == 5_000_000
