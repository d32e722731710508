"""施工路线图: gaps ordered by reachability, measures from the catalogue, the earliest application year."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from services.eligibility.contract.request import EvaluateRequest
from services.eligibility.contract.to_facts import profile_to_facts
from services.eligibility.domain.facts import Facts, ProductField, RdInstitution
from services.eligibility.domain.roadmaps.roadmap import build_roadmap, next_tier
from services.eligibility.domain.vocabulary import Decision, Tier
from tests.unit.eligibility.builders import LAST, YI, Y, ip, plain, recognised, with_year

EXAMPLE = json.loads((Path(__file__).parent / "contract_example.json").read_text(encoding="utf-8"))


def example_facts() -> Facts:
    return profile_to_facts(EvaluateRequest.model_validate(EXAMPLE).profile)


def test_the_next_tier_is_the_lowest_rung_not_held_or_reached() -> None:
    # The example holds the innovative title and qualifies as SRDI SME today: the next rung is little giant.
    assert next_tier(example_facts(), Y) is Tier.LITTLE_GIANT
    assert next_tier(plain(), Y) is Tier.INNOVATIVE_SME


def test_little_giant_roadmap_for_the_example() -> None:
    roadmap = build_roadmap(example_facts(), Y)
    assert (roadmap.target_tier, roadmap.rule_set, roadmap.decision_now) == (
        Tier.LITTLE_GIANT,
        "little_giant@2022-06-01",
        Decision.NOT_ELIGIBLE,
    )
    by_code = {s.gap.code: s for s in roadmap.steps}
    # The SRDI title: eligible now, applied for in 2025, so the little giant can follow in 2026.
    assert by_code["lg.valid_srdi_title"].ready_in_year == Y + 1
    # 6% R&D in each of the two years: statements of 2025 and 2026 → apply in 2027.
    rd = by_code["lg.innovation.rd_input"]
    assert rd.measures[0].code == "raise_rd_spend" and rd.ready_in_year == Y + 2
    # Gap filling at a chain link takes 24 months (a certificate-like result): January 2027, before June.
    assert by_code["lg.chain"].ready_in_year == Y + 2
    assert roadmap.earliest_application_year == Y + 2
    ready = [s.ready_in_year or 0 for s in roadmap.steps]
    assert ready == sorted(ready)  # ordered by how reachable they are


def test_years_in_the_niche_cannot_be_hurried() -> None:
    facts = replace(example_facts(), niche_years=1)
    step = next(s for s in build_roadmap(facts, Y, target=Tier.LITTLE_GIANT).steps if s.gap.code == "lg.niche_years")
    assert step.ready_in_year == Y + 2 and step.measures == ()


def test_an_eligible_target_can_apply_this_year() -> None:
    roadmap = build_roadmap(example_facts(), Y, target=Tier.SRDI_SME)
    assert (roadmap.earliest_application_year, roadmap.steps) == (Y, ())


def test_a_scored_tier_picks_the_quickest_improvements_to_close_the_points() -> None:
    # IP none (0) · R&D 2% (10) · growth 0% (5) · debt 80% (0) · other field (5) · share 50% (5) = 25 points.
    facts = plain(rd_institution=RdInstitution("none", False), ip=ip(), field=ProductField(strategic_emerging=False))
    facts = with_year(facts, LAST - 1, main_business_revenue=YI / 2)
    facts = with_year(
        facts,
        LAST,
        operating_revenue=YI,
        main_business_revenue=YI / 2,
        rd_expense=YI / 50,
        total_assets=YI,
        total_liabilities=YI * 4 / 5,
    )
    roadmap = build_roadmap(facts, Y, target=Tier.INNOVATIVE_SME)
    assert roadmap.decision_now is Decision.NOT_ELIGIBLE
    # 35 points short: the quickest are R&D (+10), growth (+15), debt (+10) — all statements of 2025 → 2026.
    assert roadmap.earliest_application_year == Y + 1
    assert "35" in roadmap.basis[0].zh
    ip_step = next(s for s in roadmap.steps if s.gap.code == "innovative.ip_main_product")
    assert ip_step.measures[0].code == "register_software_copyright"  # Class II: the next band up


def test_nothing_to_aim_for_when_every_rung_is_held() -> None:
    facts = plain(recognitions=recognised(*list(Tier), until=date(Y + 2, 1, 1)))
    assert build_roadmap(facts, Y).target_tier is None
