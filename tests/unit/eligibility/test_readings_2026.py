"""Golden tests for criteria.md, "2026 readings checked against annex quotations" — written by hand from
that section, through the public evaluate contract only (JSON in, JSON out), so that they survive any
restructuring of the domain package.

One test (or parametrised case) per item of the section: each edge, each "cannot decide" with the
fact it names, and the either-year re-review rule at 49.9 / 50 (SRDI) and 59.9 / 60 (little giant).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from services.eligibility.contract.request import EvaluateRequest
from services.eligibility.contract.to_facts import profile_to_facts
from services.eligibility.domain.engine.assess import assess_tier
from services.eligibility.domain.rulebook import default_rule_book
from services.eligibility.usecases.evaluate import evaluate

Y = 2026
CLEAN = {
    "abnormal_operation_list": False,
    "serious_dishonesty_list": False,
    "major_accident_3y": False,
    "prohibited_products": False,
    "data_falsification_3y": False,
}
SRDI_R2 = "srdi_sme@2026-04-01.r2"
GIANT_R2 = "little_giant@2026-04-01.r2"
CHAMPION_R2 = "single_champion@2023-08-01.r2"


# --- helpers: the contract, and nothing else -----------------------------------------------------


def run(body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(evaluate(EvaluateRequest.model_validate(body)).model_dump_json())


def assessed(tier: str, profile: dict[str, Any], year: int = Y, **request: Any) -> dict[str, Any]:
    result: dict[str, Any] = run({"assessment_year": year, "tiers": [tier], "profile": profile, **request})["results"][
        0
    ]
    return result


def condition(result: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in result["conditions"] if c["code"] == code)
    return found


def needs(result: dict[str, Any]) -> set[str]:
    return {g["needed"] for g in result["gaps"] if g["needed"].startswith("supply ")}


def codes(result: dict[str, Any]) -> set[str]:
    return {c["code"] for c in result["conditions"]}


def srdi_profile(year: int = Y) -> dict[str, Any]:
    """A 2026-measures SRDI SME exactly on every edge (revenue 1500万, share 80%, debt 80%, R&D 100万 / 6.67%)."""
    years = [
        {
            "year": year - k,
            "operating_revenue": "15000000",
            "main_business_revenue": "12000000",
            "rd_expense": "1000000",
            "total_assets": "10000000",
            "total_liabilities": "8000000",
        }
        for k in (1, 2)
    ]
    return {
        "sme": True,
        "niche_years": 3,
        "compliance": dict(CLEAN),
        "recognitions": [{"tier": "innovative_sme", "valid_until": f"{year + 1}-06-30"}],
        "financials": years,
        "ip": {"class1": 1, "class1_applied_main_product": 1},
        "market_position_attested": True,
        "renown_attested": True,
        "evaluation_scores": [{"year": year - 1, "score": 50}],
    }


def giant_profile(year: int = Y) -> dict[str, Any]:
    """A 2026-measures little giant on its edges: 2-year compound growth exactly 5%, share 90%, debt 75%."""
    return {
        "sme": True,
        "niche_years": 3,
        "compliance": dict(CLEAN),
        "recognitions": [{"tier": "srdi_sme", "valid_until": f"{year + 1}-06-30"}],
        "financials": [
            {"year": year - 3, "operating_revenue": "100000000"},
            {"year": year - 2, "operating_revenue": "100000000", "rd_expense": "6000000"},
            {
                "year": year - 1,
                "operating_revenue": "110250000",
                "main_business_revenue": "99225000",
                "rd_expense": "6000000",
                "total_assets": "100000000",
                "total_liabilities": "75000000",
                "audited": True,
            },
        ],
        "ip": {
            "class1": 4,
            "class1_applied_main_product": 4,
            "class1_main_product_own": 4,
            "class1_main_product_own_top3": 4,
        },
        "national_market_share": 0.10,
        "renown_attested": True,
        "field": {"six_foundations": "key_software", "key_chain_link": True},
        "evaluation_scores": [{"year": year - 1, "score": 60}],
        "group_little_giant_similar": False,
    }


def champion_profile(year: int = Y) -> dict[str, Any]:
    """A national single champion (2023 measures) on the 4亿 edge, leading by revenue."""
    return {
        "niche_years": 10,
        "compliance": dict(CLEAN),
        "financials": [{"year": year - k, "main_business_revenue": "400000000"} for k in (1, 2, 3)],
        "ip": {"class1": 1},
        "quality": {"standards_drafted": True, "own_brand": True},
        "champion": {
            "global_rank": 3,
            "new_product": False,
            "technology_leading": "international",
            "revenue_leading": True,
            "profit_leading": False,
            "energy_advanced": True,
        },
    }


def changed(profile: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy with top-level fields replaced; `block__field=value` changes one field of a block
    (None deletes it: "not supplied")."""
    copied = copy.deepcopy(profile)
    for key, value in changes.items():
        block, _, name = key.partition("__")
        target, field = (copied.setdefault(block, {}), name) if name else (copied, block)
        if value is None:
            target.pop(field, None)
        else:
            target[field] = value
    return copied


# --- revision ids: a changed reading is a new revision, chosen for new assessments -------------------


def test_new_assessments_from_the_effective_date_use_the_corrected_revisions() -> None:
    assert assessed("srdi_sme", srdi_profile())["rule_set"] == SRDI_R2
    assert assessed("little_giant", giant_profile())["rule_set"] == GIANT_R2
    assert assessed("single_champion", champion_profile())["rule_set"] == CHAMPION_R2
    on_the_day = assessed("srdi_sme", srdi_profile(), assessed_on="2026-04-01")
    assert on_the_day["rule_set"] == SRDI_R2
    # Before the 2026 measures came into force, the 2022 rules still apply: revisions do not move dates.
    assert assessed("srdi_sme", srdi_profile(), assessed_on="2026-03-31")["rule_set"] == "srdi_sme@2022-06-01"
    # The provincial champion is a project default that no reading in the section touches.
    provincial = assessed("single_champion_provincial", champion_profile())
    assert provincial["rule_set"] == "single_champion_provincial@2023-08-01"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("srdi_sme@2026-04-01", SRDI_R2),
        ("little_giant@2026-04-01", GIANT_R2),
        ("single_champion@2023-08-01", CHAMPION_R2),
    ],
)
def test_the_earlier_revision_stays_loadable_for_stored_assessments(old: str, new: str) -> None:
    book = default_rule_book()
    earlier, corrected = book.by_id(old), book.by_id(new)
    assert earlier.tier == corrected.tier
    assert earlier.definition.effective_from == corrected.definition.effective_from
    assert (earlier.definition.revision, corrected.definition.revision) == (1, 2)


def test_the_earlier_revision_still_answers_with_its_own_reading() -> None:
    # Under revision 1 the chain link was a third alternative: six foundations alone passed.
    profile = changed(giant_profile(), field={"six_foundations": "key_software", "chain_gap_filling": False})
    facts = profile_to_facts(EvaluateRequest.model_validate({"assessment_year": Y, "profile": profile}).profile)
    old = assess_tier(facts, default_rule_book().by_id("little_giant@2026-04-01"), Y)
    assert next(c for c in old.conditions if c.code == "lg26.key_field").met
    assert assessed("little_giant", profile)["decision"] == "undetermined"  # r2: key link not supplied


# --- the reference profiles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "profile"),
    [("srdi_sme", srdi_profile()), ("little_giant", giant_profile()), ("single_champion", champion_profile())],
)
def test_the_reference_profiles_qualify_on_their_edges(tier: str, profile: dict[str, Any]) -> None:
    result = assessed(tier, profile)
    assert (result["decision"], result["eligible"], result["passed_via"]) == ("eligible", True, "conditions")
    assert result["gaps"] == []


# --- little giant: field of the main product ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "status", "needed"),
    [
        # (six foundations or traditional/emerging/future) AND a key chain link.
        ({"six_foundations": "key_software", "key_chain_link": True}, "met", None),
        ({"industry_category": "traditional", "key_chain_link": True}, "met", None),
        ({"industry_category": "emerging", "key_chain_link": True}, "met", None),
        ({"industry_category": "future", "key_chain_link": True}, "met", None),
        # The chain link is a further condition, not a third alternative.
        ({"six_foundations": "key_software", "key_chain_link": False, "chain_gap_filling": False}, "not_met", None),
        ({"industry_category": "future", "key_chain_link": False, "chain_gap_filling": False}, "not_met", None),
        # Gap-filling results at a key link (the 2022 fact) show the enterprise is at a key link.
        ({"six_foundations": "key_software", "chain_gap_filling": True}, "met", None),
        # A chain link alone, in no listed field, is not enough.
        ({"industry_category": "other", "strategic_emerging": False, "key_chain_link": True}, "not_met", None),
        # The 2022 fields (ten industries, network power) are no longer alternatives.
        (
            {
                "ten_industries": "new_materials",
                "network_power": "data_security",
                "industry_category": "other",
                "strategic_emerging": False,
                "key_chain_link": True,
            },
            "not_met",
            None,
        ),
        # Missing facts: cannot decide, and the answer names the fact.
        ({"key_chain_link": True}, "undetermined", "supply field_industry_category"),
        ({"six_foundations": "key_software"}, "undetermined", "supply field_key_chain_link"),
        (
            {"six_foundations": "key_software", "chain_gap_filling": False},
            "undetermined",
            "supply field_key_chain_link",
        ),
    ],
)
def test_little_giant_field_is_a_field_and_a_key_chain_link(
    field: dict[str, Any], status: str, needed: str | None
) -> None:
    result = assessed("little_giant", changed(giant_profile(), field=field))
    assert condition(result, "lg26.key_field")["status"] == status
    assert result["decision"] == {"met": "eligible", "not_met": "not_eligible", "undetermined": "undetermined"}[status]
    if needed is not None:
        assert needs(result) == {needed}


def test_little_giant_field_block_missing_names_what_is_needed() -> None:
    result = assessed("little_giant", changed(giant_profile(), field=None))
    assert condition(result, "lg26.key_field")["status"] == "undetermined"
    assert result["decision"] == "undetermined" and result["eligible"] is False
    assert needs(result) >= {"supply field_key_chain_link"}


# --- little giant: Class I IP with its qualifiers -----------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "status", "needed"),
    [
        (
            {
                "class1": 4,
                "class1_applied_main_product": 4,
                "class1_main_product_own": 4,
                "class1_main_product_own_top3": 4,
            },
            "met",
            None,
        ),
        # The edge: 3 qualifying is one short.
        (
            {
                "class1": 9,
                "class1_applied_main_product": 9,
                "class1_main_product_own": 9,
                "class1_main_product_own_top3": 3,
            },
            "not_met",
            None,
        ),
        # IP transferred in does not count.
        (
            {
                "class1": 9,
                "class1_applied_main_product": 9,
                "class1_main_product_own": 3,
                "class1_main_product_own_top3": 3,
            },
            "not_met",
            None,
        ),
        # Not related to the main product / not applied with benefit: does not count.
        ({"class1": 9, "class1_applied_main_product": 3}, "not_met", None),
        # Plenty of Class I IP, but the qualifiers unknown: cannot decide, needs X.
        (
            {"class1": 9, "class1_applied_main_product": 9, "class1_main_product_own": 9},
            "undetermined",
            "supply ip_class1_main_product_own_top3",
        ),
        (
            {"class1": 9, "class1_applied_main_product": 9, "class1_main_product_own_top3": 4},
            "undetermined",
            "supply ip_class1_main_product_own",
        ),
        ({"class1": 9}, "undetermined", "supply ip_class1_applied_main_product"),
    ],
)
def test_little_giant_class1_ip_qualifiers(ip: dict[str, Any], status: str, needed: str | None) -> None:
    result = assessed("little_giant", changed(giant_profile(), ip=ip))
    assert condition(result, "lg26.class1_ip")["status"] == status
    if needed is not None:
        assert result["decision"] == "undetermined"
        assert needed in needs(result)


# --- little giant: the national S&T award waiver -------------------------------------------------------

NO_IP = {"class1": 0, "class1_applied_main_product": 0, "class1_main_product_own": 0, "class1_main_product_own_top3": 0}


@pytest.mark.parametrize(
    ("award", "assessed_on", "status"),
    [
        ({"kind": "sci_tech_progress", "certificate_date": "2024-01-10"}, None, "met"),
        ({"kind": "natural_science", "certificate_date": "2024-01-10"}, None, "met"),
        ({"kind": "technological_invention", "certificate_date": "2024-01-10"}, None, "met"),
        ({"kind": "national_defence", "certificate_date": "2024-01-10"}, None, "met"),
        ({"kind": "other", "certificate_date": "2024-01-10"}, None, "not_met"),
        # 3 years counted from the certificate date, to the assessment date (31 December by default).
        ({"kind": "sci_tech_progress", "certificate_date": "2023-12-31"}, None, "met"),
        ({"kind": "sci_tech_progress", "certificate_date": "2023-12-30"}, None, "not_met"),
        ({"kind": "sci_tech_progress", "certificate_date": "2023-06-30"}, "2026-06-30", "met"),
        ({"kind": "sci_tech_progress", "certificate_date": "2023-06-29"}, "2026-06-30", "not_met"),
        ({"kind": "sci_tech_progress", "certificate_date": "2026-07-01"}, "2026-06-30", "not_met"),
        # Top 3 only; provincial awards never waive the little giant's IP.
        ({"kind": "sci_tech_progress", "certificate_date": "2024-01-10", "rank": 4}, None, "not_met"),
        ({"kind": "sci_tech_progress", "certificate_date": "2024-01-10", "level": "provincial"}, None, "not_met"),
    ],
)
def test_the_national_award_waiver(award: dict[str, Any], assessed_on: str | None, status: str) -> None:
    entry = {"level": "national", "year": int(award["certificate_date"][:4]), "rank": 3, **award}
    profile = changed(giant_profile(), ip=NO_IP, awards=[entry])
    extra: dict[str, Any] = {"assessed_on": assessed_on} if assessed_on else {}
    assert condition(assessed("little_giant", profile, **extra), "lg26.class1_ip")["status"] == status


@pytest.mark.parametrize(
    ("award", "status", "needed"),
    [
        # Kind not given: cannot tell whether it is one of the four national awards.
        ({"year": 2024}, "undetermined", "supply national_st_award"),
        # No certificate date: a year well inside the window decides; one on its edge does not.
        ({"year": 2024, "kind": "sci_tech_progress"}, "met", None),
        ({"year": 2023, "kind": "sci_tech_progress"}, "undetermined", "supply national_st_award"),
        ({"year": 2022, "kind": "sci_tech_progress"}, "not_met", None),
    ],
)
def test_the_award_waiver_with_facts_missing(award: dict[str, Any], status: str, needed: str | None) -> None:
    profile = changed(giant_profile(), ip=NO_IP, awards=[{"level": "national", "rank": 1, **award}])
    result = assessed("little_giant", profile)
    assert condition(result, "lg26.class1_ip")["status"] == status
    if needed is not None:
        assert needed in needs(result)


# --- market position needs renown: evidence only ----------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "profile", "code"),
    [("srdi_sme", srdi_profile(), "srdi26.market_position"), ("little_giant", giant_profile(), "lg26.renown")],
)
def test_renown_is_evidence_only_and_never_decided_from_numbers(tier: str, profile: dict[str, Any], code: str) -> None:
    # However large the numbers, renown missing → cannot decide, needs the evidence.
    strong = changed(profile, renown_attested=None, national_market_share=0.9, champion={"national_rank": 1})
    result = assessed(tier, strong)
    assert condition(result, code)["status"] == "undetermined"
    assert (result["decision"], needs(result)) == ("undetermined", {"supply renown_attested"})
    assert assessed(tier, changed(profile, renown_attested=False))["decision"] == "not_eligible"


def test_srdi_market_share_evidence_is_still_needed_beside_renown() -> None:
    result = assessed("srdi_sme", changed(srdi_profile(), market_position_attested=None))
    assert needs(result) == {"supply market_position_attested"}


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"national_market_share": 0.10}, "met"),
        (
            {"national_market_share": 0.099999, "international_market_share": 0.05, "champion": {"national_rank": 4}},
            "not_met",
        ),
        # An alternative not supplied could still hold: cannot decide.
        ({"national_market_share": 0.099999}, "undetermined"),
        ({"national_market_share": 0.05, "international_market_share": 0.10}, "met"),
        ({"national_market_share": 0.05, "champion": {"national_rank": 3}}, "met"),
        (
            {"national_market_share": 0.05, "international_market_share": 0.05, "champion": {"national_rank": 4}},
            "not_met",
        ),
    ],
)
def test_little_giant_market_share_edges_stand(changes: dict[str, Any], status: str) -> None:
    result = assessed("little_giant", changed(giant_profile(), **changes))
    assert condition(result, "lg26.market_share")["status"] == status


# --- 2026 general gate ---------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["srdi_sme", "little_giant"])
def test_data_falsification_is_a_2026_exclusion(tier: str) -> None:
    profile = srdi_profile() if tier == "srdi_sme" else giant_profile()
    falsified = assessed(tier, changed(profile, compliance__data_falsification_3y=True))
    assert condition(falsified, "gate.data_falsification_3y")["status"] == "not_met"
    assert falsified["decision"] == "not_eligible"
    unknown = assessed(tier, changed(profile, compliance__data_falsification_3y=None))
    assert condition(unknown, "gate.data_falsification_3y")["status"] == "undetermined"
    assert (unknown["decision"], needs(unknown)) == ("undetermined", {"supply data_falsification_3y"})


@pytest.mark.parametrize("tier", ["srdi_sme", "little_giant"])
def test_the_major_incident_exclusion_stands(tier: str) -> None:
    profile = srdi_profile() if tier == "srdi_sme" else giant_profile()
    result = assessed(tier, changed(profile, compliance__major_accident_3y=True))
    assert condition(result, "gate.major_accident_3y")["status"] == "not_met"
    label = condition(result, "gate.major_accident_3y")["label"]["zh"]
    assert all(word in label for word in ("安全生产", "网络", "数据安全", "环境", "质量"))


# --- little giant: new applications only (the yearly notice) ---------------------------------------


def test_a_single_champion_is_not_recommended_as_a_new_little_giant() -> None:
    recognitions = [*giant_profile()["recognitions"], {"tier": "single_champion", "valid_until": "2028-12-31"}]
    result = assessed("little_giant", changed(giant_profile(), recognitions=recognitions))
    assert condition(result, "lg26.not_single_champion")["status"] == "not_met"
    assert result["decision"] == "not_eligible"


@pytest.mark.parametrize(("value", "decision"), [(True, "not_eligible"), (False, "eligible"), (None, "undetermined")])
def test_a_group_with_a_similar_little_giant_is_not_recommended(value: bool | None, decision: str) -> None:
    result = assessed("little_giant", changed(giant_profile(), group_little_giant_similar=value))
    assert result["decision"] == decision
    if value is None:
        assert needs(result) == {"supply group_little_giant_similar"}


# --- re-review: the score in either of the last 2 years ---------------------------------------------

REVIEW_YEAR = 2029  # a title granted under the 2026 measures, re-reviewed three years later


def reviewed(
    tier: str, profile: dict[str, Any], scores: dict[int, float | None], review: bool = True
) -> dict[str, Any]:
    entries = [{"year": REVIEW_YEAR - k, "score": s} for k, s in scores.items() if s is not None]
    title = {"tier": tier, "valid_until": "2029-07-01", "recognised_on": "2026-07-01"}
    recognitions = [*profile["recognitions"], title] if review else profile["recognitions"]
    body = changed(profile, evaluation_scores=entries, recognitions=recognitions)
    return assessed(tier, body, REVIEW_YEAR, application="re_review" if review else "new")


SRDI_SCORES: list[tuple[dict[int, float | None], str]] = [
    # (score of Y, Y-1, Y-2) → status of the score condition at re-review
    ({1: 50, 2: 40}, "met"),
    ({1: 40, 2: 50}, "met"),
    ({1: 49.9, 2: 50}, "met"),
    ({1: 50, 2: 49.9}, "met"),
    ({1: 49.9, 2: 49.9}, "not_met"),
    ({0: 50, 1: 40, 2: 40}, "met"),  # the assessment year's own score
    ({0: 49.9, 1: 49.9, 2: 49.9}, "not_met"),
    ({1: 49.9}, "undetermined"),  # Y-2 not supplied: it could be ≥ 50
]


@pytest.mark.parametrize(("scores", "status"), SRDI_SCORES)
def test_srdi_re_review_accepts_fifty_in_either_year(scores: dict[int, float | None], status: str) -> None:
    result = reviewed("srdi_sme", srdi_profile(REVIEW_YEAR), scores)
    assert result["rule_set"] == SRDI_R2
    assert condition(result, "srdi26.evaluation_score")["status"] == status
    if status == "undetermined":
        assert needs(result) == {"supply evaluation_score"}


@pytest.mark.parametrize(
    ("scores", "status"),
    [({k: s + 10 if s is not None else None for k, s in sc.items()}, st) for sc, st in SRDI_SCORES],
)
def test_little_giant_re_review_accepts_sixty_in_either_year(scores: dict[int, float | None], status: str) -> None:
    result = reviewed("little_giant", giant_profile(REVIEW_YEAR), scores)
    assert result["rule_set"] == GIANT_R2
    assert condition(result, "lg26.evaluation_score")["status"] == status
    # A re-review checks neither the compound growth nor the new-application exclusions.
    assert not codes(result) & {"lg26.revenue_cagr", "lg26.not_single_champion", "lg26.no_similar_little_giant"}


@pytest.mark.parametrize(
    ("tier", "profile", "edge"), [("srdi_sme", srdi_profile, 50), ("little_giant", giant_profile, 60)]
)
def test_a_new_application_needs_the_assessment_years_score(tier: str, profile: Any, edge: float) -> None:
    code = "srdi26.evaluation_score" if tier == "srdi_sme" else "lg26.evaluation_score"
    # The latest published score (Y, else Y-1) counts; an older good year does not rescue a new application.
    below = reviewed(tier, profile(REVIEW_YEAR), {1: edge - 0.1, 2: edge}, review=False)
    assert condition(below, code)["status"] == "not_met"
    on_edge = reviewed(tier, profile(REVIEW_YEAR), {1: edge}, review=False)
    assert condition(on_edge, code)["status"] == "met"


# --- single champion 2023: revenue or profit leading, 国际先进, the 2亿 relaxation off ---------------


@pytest.mark.parametrize(
    ("revenue", "profit", "status", "needed"),
    [
        (True, False, "met", None),
        (False, True, "met", None),
        (False, False, "not_met", None),
        (None, False, "undetermined", "supply champion_revenue_leading"),
        (False, None, "undetermined", "supply champion_profit_leading"),
        (None, True, "met", None),
    ],
)
def test_single_champion_revenue_or_profit_leading(
    revenue: bool | None, profit: bool | None, status: str, needed: str | None
) -> None:
    profile = changed(champion_profile(), champion__revenue_leading=revenue, champion__profit_leading=profit)
    result = assessed("single_champion", profile)
    assert condition(result, "champion.revenue_or_profit_leading")["status"] == status
    if needed is not None:
        assert (result["decision"], needs(result)) == ("undetermined", {needed})
    assert "champion.profitability" not in codes(result)  # "profit above the industry" is not the 2023 reading


@pytest.mark.parametrize(
    ("level", "status"),
    [("international", "met"), ("domestic", "not_met"), ("none", "not_met"), (None, "undetermined")],
)
def test_single_champion_technology_internationally_advanced(level: str | None, status: str) -> None:
    result = assessed("single_champion", changed(champion_profile(), champion__technology_leading=level))
    found = condition(result, "champion.technology")
    assert found["status"] == status and "国际先进" in found["label"]["zh"]


def test_the_200_million_relaxation_is_off_by_default() -> None:
    srdi = [{"tier": "srdi_sme", "valid_until": "2027-12-31"}]
    revenue = [{"year": Y - k, "main_business_revenue": "200000000"} for k in (1, 2, 3)]
    result = assessed("single_champion", changed(champion_profile(), recognitions=srdi, financials=revenue))
    assert condition(result, "champion.size")["status"] == "not_met"
    assert result["decision"] == "not_eligible"


@pytest.mark.parametrize(("last_year", "status"), [("400000000", "met"), ("399999999.99", "not_met")])
def test_single_champion_size_edge(last_year: str, status: str) -> None:
    revenue = [{"year": Y - 1, "main_business_revenue": last_year}] + [
        {"year": Y - k, "main_business_revenue": "400000000"} for k in (2, 3)
    ]
    result = assessed("single_champion", changed(champion_profile(), financials=revenue))
    assert condition(result, "champion.size")["status"] == status
