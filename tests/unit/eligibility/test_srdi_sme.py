"""SRDI SME (2022, annex 2) — golden values written by hand from criteria.md §2."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from services.eligibility.domain.facts import Award, MakerChinaEntry, ProductField, RdInstitution
from services.eligibility.domain.vocabulary import Decision, PassedVia, Status, Tier
from tests.unit.eligibility.builders import (
    FEN,
    LAST,
    YI,
    Y,
    condition,
    indicator,
    ip,
    plain,
    quality,
    result,
    with_year,
)

TIER = Tier.SRDI_SME


def points(facts, code: str) -> int:  # type: ignore[no-untyped-def]
    return indicator(facts, TIER, code).points


@pytest.mark.parametrize(("ratio", "on_edge", "below"), [("0.80", 5, 3), ("0.70", 3, 1), ("0.60", 1, 0)])
def test_main_business_share_edges(ratio: str, on_edge: int, below: int) -> None:
    def at(nudge: Decimal):  # type: ignore[no-untyped-def]
        return with_year(plain(), LAST, operating_revenue=YI, main_business_revenue=YI * Decimal(ratio) + nudge)

    assert points(at(Decimal(0)), "srdi.main_business_share") == on_edge
    assert points(at(-FEN), "srdi.main_business_share") == below


def two_year_growth(g_last: str, g_before: str, nudge: Decimal = Decimal(0)):  # type: ignore[no-untyped-def]
    before = YI * (1 + Decimal(g_before))
    facts = with_year(with_year(plain(), LAST - 2, main_business_revenue=YI), LAST - 1, main_business_revenue=before)
    return with_year(facts, LAST, main_business_revenue=before * (1 + Decimal(g_last)) + nudge)


@pytest.mark.parametrize(
    ("rate", "on_edge", "below"),
    [("0.10", 10, 8), ("0.08", 8, 6), ("0.06", 6, 4), ("0.04", 4, 2), ("0", 2, 0)],
)
def test_two_year_average_growth_edges(rate: str, on_edge: int, below: int) -> None:
    assert points(two_year_growth(rate, rate), "srdi.main_business_growth_avg") == on_edge
    assert points(two_year_growth(rate, rate, -FEN), "srdi.main_business_growth_avg") == below


def test_average_growth_is_the_mean_of_the_two_yearly_rates() -> None:
    # (15% + 5%) / 2 = 10% exactly: band A. (Compound growth would be about 9.9%.)
    found = indicator(two_year_growth("0.15", "0.05"), TIER, "srdi.main_business_growth_avg")
    assert (found.points, found.value) == (10, Decimal("0.1000"))


@pytest.mark.parametrize(("years", "expected"), [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (9, 4), (10, 5), (20, 5)])
def test_one_point_per_full_two_years_in_the_niche_at_most_five(years: int, expected: int) -> None:
    assert points(plain(niche_years=years), "srdi.niche_years") == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (ProductField(chain_gap_filling=True, six_foundations="core_basic_components"), 5),
        (ProductField(chain_gap_filling=False, six_foundations="core_basic_components"), 3),
        (ProductField(chain_gap_filling=False, time_honoured_brand=True), 3),
        (ProductField(chain_gap_filling=False, time_honoured_brand=False, serves_chain_leader=True), 3),
        (ProductField(chain_gap_filling=False, time_honoured_brand=False, serves_chain_leader=False), 0),
    ],
)
def test_field_of_the_main_product(field: ProductField, expected: int) -> None:
    assert points(plain(field=field), "srdi.field") == expected


@pytest.mark.parametrize(("level", "expected"), [(4, 5), (3, 5), (2, 3), (1, 0), (None, 0)])
def test_digital_level(level: int | None, expected: int) -> None:
    assert points(plain(digital_level=level), "srdi.digital_level") == expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, 0),
        ({"own_brand": True}, 3),
        ({"own_brand": True, "standards_drafted": True}, 5),
        (
            {
                k: True
                for k in ("provincial_quality_award", "quality_system_certified", "own_brand", "standards_drafted")
            },
            5,
        ),
    ],
)
def test_quality_three_points_each_capped_at_five(flags: dict[str, bool], expected: int) -> None:
    assert points(plain(quality=quality(**flags)), "srdi.quality") == expected


@pytest.mark.parametrize(
    ("ratio", "on_edge", "below"),
    [("0.10", 10, 8), ("0.08", 8, 6), ("0.06", 6, 4), ("0.04", 4, 2), ("0.02", 2, 0)],
)
def test_net_profit_margin_edges(ratio: str, on_edge: int, below: int) -> None:
    def at(nudge: Decimal):  # type: ignore[no-untyped-def]
        return with_year(plain(), LAST, operating_revenue=YI, net_profit=YI * Decimal(ratio) + nudge)

    assert points(at(Decimal(0)), "srdi.net_profit_margin") == on_edge
    assert points(at(-FEN), "srdi.net_profit_margin") == below


def test_a_loss_scores_zero_on_margin() -> None:
    assert points(with_year(plain(), LAST, operating_revenue=YI, net_profit=-1), "srdi.net_profit_margin") == 0


@pytest.mark.parametrize(("ratio", "on_edge", "above"), [("0.50", 5, 3), ("0.60", 3, 1), ("0.70", 1, 0)])
def test_debt_ratio_edges(ratio: str, on_edge: int, above: int) -> None:
    def at(nudge: Decimal):  # type: ignore[no-untyped-def]
        return with_year(plain(), LAST, total_assets=YI, total_liabilities=YI * Decimal(ratio) + nudge)

    assert points(at(Decimal(0)), "srdi.debt_ratio") == on_edge
    assert points(at(FEN), "srdi.debt_ratio") == above


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"class1_high_value": 1}, 10),
        ({"class1_self_developed": 1}, 8),
        ({"class1": 1}, 6),
        ({"class2": 1}, 2),
        ({}, 0),
    ],
)
def test_ip_ladder(counts: dict[str, int], expected: int) -> None:
    assert points(plain(ip=ip(**counts)), "srdi.ip_main_product") == expected


@pytest.mark.parametrize(
    ("amount", "on_edge", "below"),
    [(5_000_000, 10, 8), (4_000_000, 8, 6), (3_000_000, 6, 4), (2_000_000, 4, 2), (1_000_000, 2, 0)],
)
def test_rd_input_amount_edges(amount: int, on_edge: int, below: int) -> None:
    # Revenue of 10亿: intensity stays below 3%, so only the amount counts.
    def at(value: Decimal):  # type: ignore[no-untyped-def]
        return with_year(plain(), LAST, operating_revenue=YI * 10, rd_expense=value)

    assert points(at(Decimal(amount)), "srdi.rd_input") == on_edge
    assert points(at(Decimal(amount) - FEN), "srdi.rd_input") == below


@pytest.mark.parametrize(
    ("ratio", "on_edge", "below"),
    [("0.10", 10, 8), ("0.08", 8, 6), ("0.06", 6, 4), ("0.04", 4, 2), ("0.03", 2, 0)],
)
def test_rd_input_intensity_edges(ratio: str, on_edge: int, below: int) -> None:
    # Revenue of 500万: the amount stays below 100万, so only the intensity counts.
    revenue = Decimal(5_000_000)

    def at(nudge: Decimal):  # type: ignore[no-untyped-def]
        return with_year(plain(), LAST, operating_revenue=revenue, rd_expense=revenue * Decimal(ratio) + nudge)

    assert points(at(Decimal(0)), "srdi.rd_input") == on_edge
    assert points(at(-FEN), "srdi.rd_input") == below


def test_rd_input_takes_the_better_of_amount_and_intensity() -> None:
    facts = with_year(plain(), LAST, operating_revenue=37_500_000, rd_expense=3_000_000)  # 300万 → 6; 8% → 8
    assert points(facts, "srdi.rd_input") == 8


@pytest.mark.parametrize(
    ("staff", "employees", "expected"),
    [(200, 1000, 5), (199, 1000, 3), (100, 1000, 3), (99, 1000, 1), (50, 1000, 1), (49, 1000, 0)],
)
def test_rd_staff_share_edges(staff: int, employees: int, expected: int) -> None:
    facts = with_year(plain(), LAST, rd_staff=staff, employees=employees)
    assert points(facts, "srdi.rd_staff_ratio") == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [("national", 10), ("provincial", 8), ("municipal", 4), ("below_municipal", 2), ("none", 0)],
)
def test_rd_institution_level(level: str, expected: int) -> None:
    assert points(plain(rd_institution=RdInstitution(level=level)), "srdi.rd_institution") == expected


def test_province_indicators_read_only_their_own_keys_and_score_zero_when_empty() -> None:
    assert points(plain(), "srdi.province.priority_field") == 0
    facts = plain(
        province_features={
            "yunnan_priority_field": "phosphate_battery_chain",
            "yunnan_new_business": True,
            "something_else": "ignored",
        }
    )
    assert points(facts, "srdi.province.priority_field") == 10
    assert points(facts, "srdi.province.new_business") == 5
    assert points(plain(province_features={"yunnan_priority_field": "tourism"}), "srdi.province.priority_field") == 0


# --- the four conditions -----------------------------------------------------------------------


def qualifying(**overrides: object):  # type: ignore[no-untyped-def]
    """Meets conditions 1–3 with a score of exactly 60 and no direct route."""
    facts = plain(niche_years=10, ip=ip(class1_high_value=1), digital_level=3, **overrides)  # 5 + 10 + 5
    facts = with_year(facts, LAST - 2, main_business_revenue=100_000_000)
    facts = with_year(facts, LAST - 1, main_business_revenue=110_000_000)
    # share 100% (5), growth 10%/10% (10), margin 10% (10), debt 50% (5), R&D 500万 (10) → 40 more = 60
    return with_year(
        facts,
        LAST,
        operating_revenue=121_000_000,
        main_business_revenue=121_000_000,
        rd_expense=5_000_000,
        net_profit=12_100_000,
        total_assets=YI,
        total_liabilities=YI / 2,
    )


def test_score_of_exactly_sixty_passes_and_fifty_nine_fails() -> None:
    found = result(qualifying(), TIER)
    assert (found.score, found.decision, found.passed_via) == (60, Decision.ELIGIBLE, PassedVia.SCORE)
    one_less = with_year(qualifying(), LAST, net_profit=Decimal(12_100_000) - FEN)  # margin band B: 8, total 58
    found = result(one_less, TIER)
    assert (found.score, found.decision) == (58, Decision.NOT_ELIGIBLE)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"niche_years": 1}, "srdi.niche_years"),
        ({"rd_expense": Decimal(1_000_000) - FEN, "operating_revenue": 10_000_000}, "srdi.rd_expense"),
        ({"rd_expense": Decimal("3629999.99")}, "srdi.rd_intensity"),  # 3% of 1.21亿 is 363万
        (
            {
                "operating_revenue": Decimal(10_000_000) - FEN,
                "main_business_revenue": 9_000_000,
                "rd_expense": 1_000_000,
            },
            "srdi.revenue_or_financing",
        ),
    ],
)
def test_each_condition_fails_just_below_its_threshold(change: dict[str, object], code: str) -> None:
    facts = replace(qualifying(), niche_years=1) if "niche_years" in change else with_year(qualifying(), LAST, **change)
    found = condition(facts, TIER, code)
    assert found.status is Status.NOT_MET
    assert result(facts, TIER).decision is Decision.NOT_ELIGIBLE


def test_conditions_on_their_edges() -> None:
    facts = with_year(
        qualifying(), LAST, operating_revenue=10_000_000, main_business_revenue=10_000_000, rd_expense=1_000_000
    )
    assert condition(facts, TIER, "srdi.rd_expense").met
    assert condition(facts, TIER, "srdi.revenue_or_financing").met
    facts = with_year(qualifying(), LAST, rd_expense=3_630_000)  # exactly 3% of 1.21亿
    assert condition(facts, TIER, "srdi.rd_intensity").met


@pytest.mark.parametrize(("equity", "met"), [(20_000_000, True), (Decimal(20_000_000) - FEN, False)])
def test_small_revenue_passes_condition_three_with_two_years_of_equity(equity: Decimal, met: bool) -> None:
    facts = with_year(plain(), LAST, operating_revenue=5_000_000, new_equity_financing=equity - 5_000_000)
    facts = with_year(facts, LAST - 1, new_equity_financing=5_000_000)
    facts = with_year(facts, LAST - 2, new_equity_financing=50_000_000)  # three years back: not counted
    assert condition(facts, TIER, "srdi.revenue_or_financing").met is met


def direct_only(**overrides: object):  # type: ignore[no-untyped-def]
    """Conditions 1–3 met, score far below 60."""
    facts = plain(niche_years=2, **overrides)
    return with_year(facts, LAST, operating_revenue=20_000_000, rd_expense=1_000_000)


@pytest.mark.parametrize(
    ("overrides", "eligible"),
    [
        ({"awards": (Award("provincial", Y - 1, rank=3),)}, True),
        ({"awards": (Award("provincial", Y - 1, rank=4),)}, False),
        ({"awards": (Award("provincial", Y - 1),)}, False),  # no rank: cannot show top 3
        ({"awards": (Award("national", Y - 3, rank=5),)}, True),
        ({"awards": (Award("national", Y - 3, rank=6),)}, False),
        ({"maker_china": (MakerChinaEntry(Y - 2, "top500"),)}, True),
        ({"maker_china": (MakerChinaEntry(Y - 2, "top50"),)}, True),
        ({"maker_china": (MakerChinaEntry(Y - 4, "top500"),)}, False),
    ],
)
def test_direct_conditions_replace_the_score(overrides: dict[str, object], eligible: bool) -> None:
    found = result(direct_only(**overrides), TIER)
    assert found.eligible is eligible
    if eligible:
        assert found.passed_via is PassedVia.DIRECT and found.score is not None and found.score < 60


@pytest.mark.parametrize(("average", "met"), [(10_000_000, True), (Decimal(10_000_000) - FEN, False)])
def test_direct_average_rd_over_two_years(average: Decimal, met: bool) -> None:
    facts = with_year(direct_only(), LAST, rd_expense=8_000_000, operating_revenue=YI)
    facts = with_year(facts, LAST - 1, rd_expense=2 * Decimal(average) - 8_000_000)
    assert condition(facts, TIER, "srdi.direct.rd_average").met is met


@pytest.mark.parametrize(("equity", "met"), [(60_000_000, True), (Decimal(60_000_000) - FEN, False)])
def test_direct_equity_financing_over_two_years(equity: Decimal, met: bool) -> None:
    facts = with_year(direct_only(), LAST, new_equity_financing=equity)
    assert result(facts, TIER).eligible is met
