"""The 2026 measures (工信部企业〔2026〕2号): selection by date, six conditions, three-state answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.eligibility.domain.engine import assess, select_rule_set
from services.eligibility.domain.facts import Award, EvaluationScore, Facts, ProductField, RdInstitution, Recognition
from services.eligibility.domain.rulebook import default_rule_book
from services.eligibility.domain.vocabulary import Application, Decision, Status, Tier
from tests.unit.eligibility.builders import FEN, YI, condition, ip, plain, recognised, result, with_year

Y26 = 2026
LAST26 = Y26 - 1


def srdi26(**changes: Any) -> Facts:
    facts = plain(
        niche_years=3,
        recognitions=recognised(Tier.INNOVATIVE_SME, until=date(2027, 6, 30)),
        ip=ip(class1=1, class1_applied_main_product=1),
        market_position_attested=True,
        renown_attested=True,
        evaluation_scores=(EvaluationScore(LAST26, Decimal(50)),),
    )
    for y in (LAST26, LAST26 - 1):
        facts = with_year(
            facts,
            y,
            operating_revenue=15_000_000,
            main_business_revenue=12_000_000,
            rd_expense=1_000_000,
            total_assets=10_000_000,
            total_liabilities=8_000_000,
        )
    return replace(facts, **changes)


def test_2026_assessments_use_the_2026_srdi_rules_and_the_reference_profile_qualifies() -> None:
    found = result(srdi26(), Tier.SRDI_SME, Y26)
    assert found.rule_set == "srdi_sme@2026-04-01.r2"
    assert (found.decision, found.score, found.indicators) == (Decision.ELIGIBLE, None, ())


def test_before_april_2026_the_2022_rules_apply() -> None:
    early = assess(srdi26(), Y26, tiers=[Tier.SRDI_SME], assessed_on=date(2026, 3, 31))[0]
    assert early.rule_set == "srdi_sme@2022-06-01"
    later = assess(srdi26(), Y26, tiers=[Tier.SRDI_SME], assessed_on=date(2026, 4, 1))[0]
    assert later.rule_set == "srdi_sme@2026-04-01.r2"


def test_innovative_sme_stays_on_2022_in_2026() -> None:
    assert result(srdi26(), Tier.INNOVATIVE_SME, Y26).rule_set == "innovative_sme@2022-06-01"


@pytest.mark.parametrize(
    ("year_changes", "code"),
    [
        ({"operating_revenue": Decimal(15_000_000) - FEN}, "srdi26.revenue_or_financing"),
        ({"main_business_revenue": Decimal(12_000_000) - FEN}, "srdi26.main_business_share"),
        ({"total_liabilities": Decimal(8_000_000) + FEN}, "srdi26.debt_ratio"),
        ({"rd_expense": Decimal(1_000_000) - FEN}, "srdi26.rd_expense_each_year"),
    ],
)
def test_srdi26_last_year_thresholds_on_the_edge(year_changes: dict[str, Decimal], code: str) -> None:
    assert condition(srdi26(), Tier.SRDI_SME, code, Y26).met
    broken = with_year(srdi26(), LAST26, **year_changes)
    assert condition(broken, Tier.SRDI_SME, code, Y26).status is Status.NOT_MET
    assert result(broken, Tier.SRDI_SME, Y26).decision is Decision.NOT_ELIGIBLE


def test_rd_must_hold_in_each_of_the_two_years() -> None:
    broken = with_year(srdi26(), LAST26 - 1, rd_expense=Decimal(450_000) - FEN)  # 3% of 1500万 = 45万
    assert condition(broken, Tier.SRDI_SME, "srdi26.rd_intensity_each_year", Y26).status is Status.NOT_MET


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"niche_years": 2}, Status.NOT_MET),
        ({"recognitions": ()}, Status.NOT_MET),
        ({"ip": ip(class1=3), "rd_institution": RdInstitution("none", False)}, Status.NOT_MET),
        ({"ip": ip(class1=3)}, Status.UNDETERMINED),  # the waiver's R&D institution is not supplied
        ({"ip": ip(), "awards": (Award("provincial", 2024, rank=3),)}, Status.MET),
        ({"ip": ip(), "rd_institution": RdInstitution("provincial", True)}, Status.MET),
    ],
)
def test_other_conditions(changes: dict[str, Any], status: Status) -> None:
    decision = result(srdi26(**changes), Tier.SRDI_SME, Y26).decision
    expected = {
        Status.MET: Decision.ELIGIBLE,
        Status.NOT_MET: Decision.NOT_ELIGIBLE,
        Status.UNDETERMINED: Decision.UNDETERMINED,
    }
    assert decision is expected[status]


@pytest.mark.parametrize(("score", "met"), [(Decimal(50), True), (Decimal("49.99"), False)])
def test_evaluation_score_of_fifty(score: Decimal, met: bool) -> None:
    facts = srdi26(evaluation_scores=(EvaluationScore(LAST26, score),))
    assert condition(facts, Tier.SRDI_SME, "srdi26.evaluation_score", Y26).met is met


def test_the_latest_published_score_counts() -> None:
    facts = srdi26(evaluation_scores=(EvaluationScore(LAST26, Decimal(70)), EvaluationScore(Y26, Decimal(40))))
    assert not condition(facts, Tier.SRDI_SME, "srdi26.evaluation_score", Y26).met


@pytest.mark.parametrize(
    ("changes", "needed"),
    [
        ({"evaluation_scores": ()}, "evaluation_score"),
        ({"market_position_attested": None}, "market_position_attested"),
    ],
)
def test_a_missing_fact_gives_cannot_decide_and_says_what_is_needed(changes: dict[str, Any], needed: str) -> None:
    found = result(srdi26(**changes), Tier.SRDI_SME, Y26)
    assert found.decision is Decision.UNDETERMINED and found.eligible is False and found.passed_via is None
    assert [g.needed for g in found.gaps] == [f"supply {needed}"]
    assert all(g.missing_fact for g in found.gaps)


def test_a_failed_condition_outweighs_a_missing_fact() -> None:
    found = result(srdi26(evaluation_scores=(), niche_years=1), Tier.SRDI_SME, Y26)
    assert found.decision is Decision.NOT_ELIGIBLE


# --- little giant 2026 ----------------------------------------------------------------------------


def giant26(cagr_nudge: Decimal = Decimal(0), **changes: Any) -> Facts:
    facts = plain(
        niche_years=3,
        recognitions=recognised(Tier.SRDI_SME, until=date(2027, 6, 30)),
        ip=ip(class1=4, class1_applied_main_product=4, class1_main_product_own=4, class1_main_product_own_top3=4),
        national_market_share=Decimal("0.10"),
        renown_attested=True,
        group_little_giant_similar=False,
        field=ProductField(six_foundations="key_software", key_chain_link=True),
        evaluation_scores=(EvaluationScore(LAST26, Decimal(60)),),
    )
    facts = with_year(facts, LAST26 - 2, operating_revenue=YI)
    facts = with_year(facts, LAST26 - 1, operating_revenue=YI, rd_expense=6_000_000)
    facts = with_year(
        facts,
        LAST26,
        operating_revenue=YI * Decimal("1.1025") + cagr_nudge,
        main_business_revenue=YI * Decimal("1.1025") * Decimal("0.9"),
        rd_expense=6_000_000,
        total_assets=YI,
        total_liabilities=YI * Decimal("0.75"),
        audited=True,
    )
    return replace(facts, **changes)


def test_little_giant_2026_reference_profile_qualifies() -> None:
    found = result(giant26(), Tier.LITTLE_GIANT, Y26)
    assert (found.rule_set, found.decision) == ("little_giant@2026-04-01.r2", Decision.ELIGIBLE)


def test_compound_growth_of_exactly_five_percent_is_compared_without_roots() -> None:
    # (R1/R3)^½ − 1 = 5% exactly when R1 = 1.1025 × R3.
    assert condition(giant26(), Tier.LITTLE_GIANT, "lg26.revenue_cagr", Y26).met
    assert not condition(giant26(-FEN), Tier.LITTLE_GIANT, "lg26.revenue_cagr", Y26).met


@pytest.mark.parametrize(
    ("changes", "eligible"),
    [
        ({"ip": ip(class1=3)}, False),
        ({"ip": ip(class1=3), "awards": (Award("national", 2024, rank=3, kind="natural_science"),)}, True),
        ({"national_market_share": Decimal("0.099999")}, False),
        ({"national_market_share": Decimal("0.05"), "international_market_share": Decimal("0.10")}, True),
        ({"national_market_share": Decimal("0.099999"), "international_market_share": Decimal("0.05")}, False),
        ({"evaluation_scores": (EvaluationScore(LAST26, Decimal("59.99")),)}, False),
    ],
)
def test_little_giant_2026_conditions(changes: dict[str, Any], eligible: bool) -> None:
    assert result(giant26(**changes), Tier.LITTLE_GIANT, Y26).eligible is eligible


def test_two_year_rd_of_twelve_million() -> None:
    assert condition(giant26(), Tier.LITTLE_GIANT, "lg26.rd_expense_2y", Y26).met
    short = with_year(giant26(), LAST26, rd_expense=Decimal(6_000_000) - FEN)
    assert not condition(short, Tier.LITTLE_GIANT, "lg26.rd_expense_2y", Y26).met


def test_a_little_giant_recognised_in_2023_is_re_reviewed_in_2026_under_2022_rules() -> None:
    facts = giant26(
        recognitions=(Recognition(Tier.SRDI_SME, date(2027, 6, 30)), Recognition(Tier.LITTLE_GIANT, date(2026, 7, 31)))
    )
    rule_set, re_review = select_rule_set(
        default_rule_book(), Tier.LITTLE_GIANT, facts, date(2026, 12, 31), Application.RE_REVIEW
    )
    assert (rule_set.id, re_review) == ("little_giant@2022-06-01", True)
    found = assess(facts, Y26, tiers=[Tier.LITTLE_GIANT], application=Application.RE_REVIEW)[0]
    assert found.rule_set == "little_giant@2022-06-01"


def test_a_re_review_under_2026_rules_skips_growth_and_accepts_either_years_score() -> None:
    facts = giant26(
        -YI * Decimal("0.2"),
        recognitions=(
            Recognition(Tier.SRDI_SME, date(2030, 6, 30)),
            Recognition(Tier.LITTLE_GIANT, date(2029, 7, 31), recognised_on=date(2026, 7, 1)),
        ),
        evaluation_scores=(EvaluationScore(LAST26, Decimal(55)), EvaluationScore(LAST26 - 1, Decimal(61))),
    )
    facts = with_year(
        facts, LAST26, main_business_revenue=YI * Decimal("0.9025") * Decimal("0.9"), rd_expense=6_000_000
    )
    assert not result(facts, Tier.LITTLE_GIANT, Y26).eligible  # as a new application: growth fails
    review = assess(facts, Y26, tiers=[Tier.LITTLE_GIANT], application=Application.RE_REVIEW)[0]
    assert review.rule_set == "little_giant@2026-04-01.r2"
    codes = {c.code: c for c in review.conditions}
    assert "lg26.revenue_cagr" not in codes
    assert codes["lg26.evaluation_score"].met and review.eligible
