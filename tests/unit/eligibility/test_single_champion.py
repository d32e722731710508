"""Manufacturing single champion — national (2023) and the provincial project default (single-champion.md)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from services.eligibility.domain.engine.assess import assess_tier
from services.eligibility.domain.facts import Champion, Facts
from services.eligibility.domain.rulebook import default_rule_book
from services.eligibility.domain.vocabulary import Decision, Tier
from tests.unit.eligibility.builders import FEN, LAST, YI, condition, ip, plain, quality, recognised, result, with_year

NATIONAL = Tier.SINGLE_CHAMPION
PROVINCIAL = Tier.SINGLE_CHAMPION_PROVINCIAL


def champion(average: Decimal = 4 * YI, **changes: Any) -> Facts:
    facts = plain(
        sme=False,
        niche_years=10,
        ip=ip(class1=3),
        quality=quality(own_brand=True, standards_drafted=True),
        champion=Champion(
            global_rank=3,
            national_rank=1,
            provincial_rank=1,
            product_revenue_share=Decimal("0.6"),
            new_product=False,
            technology_leading="international",
            profit_above_industry=True,
            energy_advanced=True,
            revenue_leading=True,
            profit_leading=False,
        ),
    )
    for offset, share in ((1, Decimal("1.1")), (2, Decimal(1)), (3, Decimal("0.9"))):  # mean = average
        facts = with_year(facts, LAST + 1 - offset, main_business_revenue=average * share)
    return replace(facts, **changes)


def test_national_champion_is_not_an_sme_tier() -> None:
    found = result(champion(), NATIONAL)
    assert found.eligible and not any(c.code == "gate.sme" for c in found.conditions)


def test_provincial_default_requires_an_sme() -> None:
    assert result(champion(), PROVINCIAL).decision is Decision.NOT_ELIGIBLE
    assert result(champion(sme=True), PROVINCIAL).eligible


@pytest.mark.parametrize(("average", "eligible"), [(4 * YI, True), (4 * YI - FEN, False)])
def test_three_year_average_main_revenue_of_four_hundred_million(average: Decimal, eligible: bool) -> None:
    assert result(champion(average), NATIONAL).eligible is eligible


def test_two_hundred_million_sufficed_for_a_recognised_srdi_enterprise_only_in_revision_1() -> None:
    # Revision 2 switches the unproven relaxation off (criteria.md, "2026 readings"); revision 1 had it.
    assert result(champion(2 * YI, recognitions=recognised(Tier.SRDI_SME)), NATIONAL).decision is Decision.NOT_ELIGIBLE
    first = default_rule_book().by_id("single_champion@2023-08-01")
    assert not assess_tier(champion(2 * YI), first, LAST + 1).eligible
    assert assess_tier(champion(2 * YI, recognitions=recognised(Tier.SRDI_SME)), first, LAST + 1).eligible
    assert not assess_tier(champion(2 * YI - FEN, recognitions=recognised(Tier.LITTLE_GIANT)), first, LAST + 1).eligible


@pytest.mark.parametrize(
    ("years", "new_product", "eligible"),
    [(10, False, True), (9, False, False), (5, True, True), (4, True, False), (9, None, False)],
)
def test_years_in_the_field_ten_or_five_for_a_new_product(years: int, new_product: bool | None, eligible: bool) -> None:
    facts = champion(niche_years=years)
    assert facts.champion is not None
    facts = replace(facts, champion=replace(facts.champion, new_product=new_product))
    assert result(facts, NATIONAL).eligible is eligible


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"global_rank": 4}, "champion.global_rank"),
        ({"global_rank": None}, "champion.global_rank"),
        ({"technology_leading": "domestic"}, "champion.technology"),
        ({"revenue_leading": False}, "champion.revenue_or_profit_leading"),
        ({"energy_advanced": False}, "champion.energy"),
    ],
)
def test_national_conditions(change: dict[str, Any], code: str) -> None:
    facts = champion()
    assert facts.champion is not None
    facts = replace(facts, champion=replace(facts.champion, **change))
    assert not condition(facts, NATIONAL, code).met
    assert not result(facts, NATIONAL).eligible


def test_standards_and_core_ip_are_required() -> None:
    assert not result(champion(quality=quality(own_brand=True)), NATIONAL).eligible
    assert not result(champion(ip=ip()), NATIONAL).eligible


@pytest.mark.parametrize(
    ("change", "eligible"),
    [
        ({}, True),
        ({"product_revenue_share": Decimal("0.5")}, True),
        ({"product_revenue_share": Decimal("0.499999")}, False),
        ({"global_rank": None, "national_rank": 5, "provincial_rank": 9}, True),
        ({"global_rank": None, "national_rank": 6, "provincial_rank": 3}, True),
        ({"global_rank": None, "national_rank": 6, "provincial_rank": 4}, False),
        ({"technology_leading": "domestic"}, True),
        ({"technology_leading": "none"}, False),
    ],
)
def test_provincial_default_thresholds(change: dict[str, Any], eligible: bool) -> None:
    facts = champion(sme=True)
    assert facts.champion is not None
    facts = replace(facts, champion=replace(facts.champion, **change))
    assert result(facts, PROVINCIAL).eligible is eligible
