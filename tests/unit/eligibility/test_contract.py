"""The public evaluate contract (evaluate-contract.md): shapes, the example request, errors naming fields."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.eligibility.contract.request import EvaluateRequest
from services.eligibility.contract.response import EvaluateResponse
from services.eligibility.usecases.evaluate import evaluate

EXAMPLE: dict[str, Any] = json.loads((Path(__file__).parent / "contract_example.json").read_text(encoding="utf-8"))


def run(body: dict[str, Any]) -> dict[str, Any]:
    response = evaluate(EvaluateRequest.model_validate(body))
    return json.loads(response.model_dump_json())


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return run(EXAMPLE)


def by_tier(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["tier"]: r for r in response["results"]}


def test_one_result_per_requested_tier_in_order(example: dict[str, Any]) -> None:
    assert example["assessment_year"] == 2025
    assert [r["tier"] for r in example["results"]] == EXAMPLE["tiers"]
    reordered = run({**EXAMPLE, "tiers": ["little_giant", "innovative_sme"]})
    assert [r["tier"] for r in reordered["results"]] == ["little_giant", "innovative_sme"]


def test_tiers_omitted_means_all_of_them() -> None:
    body = {k: v for k, v in EXAMPLE.items() if k != "tiers"}
    assert len(run(body)["results"]) == 5


def test_result_fields_match_the_contract(example: dict[str, Any]) -> None:
    srdi = by_tier(example)["srdi_sme"]
    assert set(srdi) >= {"tier", "rule_set", "eligible", "score", "passed_via", "indicators", "conditions", "gaps"}
    indicator = srdi["indicators"][0]
    assert set(indicator) >= {"code", "label", "value", "band", "points", "max_points", "explanation"}
    assert set(indicator["label"]) == {"zh", "en"}
    condition = next(c for c in srdi["conditions"] if c["code"] == "srdi.rd_expense")
    assert set(condition) >= {"code", "label", "met", "value", "threshold", "explanation"}
    # Numbers are JSON numbers, as in the contract's example (not strings).
    assert condition["value"] == 4300000 and condition["threshold"] == 1000000
    assert isinstance(indicator["value"], float) and indicator["value"] == 0.9186  # 79/86 to 4 places


def test_the_example_profile_tier_by_tier(example: dict[str, Any]) -> None:
    results = by_tier(example)
    innovative = results["innovative_sme"]
    # IP self-developed 15 + R&D 5.0% on the edge 20 | growth 12.86% 15 + debt 46.9% 10 | field 10 + share 91.9% 20
    assert (innovative["eligible"], innovative["score"], innovative["passed_via"]) == (True, 90, "score")
    assert innovative["rule_set"] == "innovative_sme@2022-06-01"
    srdi = results["srdi_sme"]
    points = {i["code"]: i["points"] for i in srdi["indicators"]}
    assert points == {
        "srdi.main_business_share": 5,
        "srdi.main_business_growth_avg": 10,
        "srdi.niche_years": 3,
        "srdi.field": 3,
        "srdi.digital_level": 3,
        "srdi.quality": 5,
        "srdi.net_profit_margin": 8,
        "srdi.debt_ratio": 5,
        "srdi.ip_main_product": 8,
        "srdi.rd_input": 8,
        "srdi.rd_staff_ratio": 3,
        "srdi.rd_institution": 8,
        "srdi.province.priority_field": 0,
        "srdi.province.new_business": 0,
    }
    assert (srdi["eligible"], srdi["score"], srdi["passed_via"], srdi["rule_set"]) == (
        True,
        69,
        "score",
        "srdi_sme@2022-06-01",
    )
    giant = results["little_giant"]
    assert (giant["eligible"], giant["score"], giant["passed_via"], giant["decision"]) == (
        False,
        None,
        None,
        "not_eligible",
    )
    failing = {c["code"] for c in giant["conditions"] if not c["met"]}
    assert failing == {"lg.valid_srdi_title", "lg.innovation", "lg.chain"}
    assert not results["single_champion"]["eligible"] and not results["single_champion_provincial"]["eligible"]


def test_the_example_gap_in_its_own_numbers(example: dict[str, Any]) -> None:
    messages = [g["message"]["zh"] for g in by_tier(example)["little_giant"]["gaps"]]
    assert "研发投入强度 2024年 5% < 6%：按上年营业收入计，还需增加研发费用 86万元" in messages


def test_the_reference_gap_message() -> None:
    # criteria: "研发投入强度 2.4% < 3%：按上年营业收入计，还需增加研发费用 51.6万元"
    body = copy.deepcopy(EXAMPLE)
    body["tiers"] = ["srdi_sme"]
    body["profile"]["financials"][0]["rd_expense"] = "2064000"  # 2.4% of 8,600万
    gaps = by_tier(run(body))["srdi_sme"]["gaps"]
    gap = next(g for g in gaps if g["code"] == "srdi.rd_intensity")
    assert gap["message"] == {
        "zh": "研发投入强度 2.4% < 3%：按上年营业收入计，还需增加研发费用 51.6万元",
        "en": "R&D intensity 2.4% < 3%: at last year's revenue, 516,000 yuan more R&D",
    }
    assert gap["needed"] == "rd_expense +516000 yuan" and gap["shortfall"] == 516000


def test_money_as_number_or_string_gives_the_same_answer() -> None:
    body = copy.deepcopy(EXAMPLE)
    for entry in body["profile"]["financials"]:
        for key, value in list(entry.items()):
            if isinstance(value, str):
                entry[key] = int(value)
    assert run(body) == run(EXAMPLE)


def test_missing_facts_are_not_errors() -> None:
    body = {"assessment_year": 2025, "profile": {}}
    response = run(body)
    assert all(r["eligible"] is False for r in response["results"])
    innovative = by_tier(response)["innovative_sme"]
    assert all(i["points"] == 0 for i in innovative["indicators"])
    assert all("not supplied" in i["explanation"]["en"] for i in innovative["indicators"])
    nulls = run({"assessment_year": 2025, "profile": {"ip": None, "awards": None, "national_market_share": None}})
    assert len(nulls["results"]) == 5


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("profile", "financials", 0, "rd_expense"), "4.3万", "profile.financials.0.rd_expense"),
        (("profile", "financials", 0, "rd_expense"), "100.001", "profile.financials.0.rd_expense"),
        (("profile", "national_market_share"), 12, "profile.national_market_share"),
        (("profile", "rd_institution", "level"), "county", "profile.rd_institution.level"),
        (("profile", "digital_level"), 5, "profile.digital_level"),
        (("profile", "awards", 0, "level"), "municipal", "profile.awards.0.level"),
        (("profile", "maker_china", 0, "group"), "top100", "profile.maker_china.0.group"),
        (("profile", "champion", "technology_leading"), "regional", "profile.champion.technology_leading"),
        (("profile", "honours", 0, "type"), "famous", "profile.honours.0.type"),
        (("profile", "recognitions", 0, "tier"), "gold", "profile.recognitions.0.tier"),
        (("tiers",), ["little_giant", "little_giant"], "tiers"),
        (("tiers",), ["platinum"], "tiers.0"),
        (("profile", "rd_expence"), "1", "profile.rd_expence"),
        (("profile", "established_on"), "2014-13-01", "profile.established_on"),
        (("profile", "financials", 0, "employees"), -1, "profile.financials.0.employees"),
    ],
)
def test_a_malformed_fact_is_a_validation_error_naming_the_field(
    path: tuple[str | int, ...], value: Any, field: str
) -> None:
    body = copy.deepcopy(EXAMPLE)
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as caught:
        EvaluateRequest.model_validate(body)
    located = {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}
    assert field in located


def test_response_model_round_trips() -> None:
    response = evaluate(EvaluateRequest.model_validate(EXAMPLE))
    again = EvaluateResponse.model_validate_json(response.model_dump_json())
    assert again.results[1].score == 69


def test_the_2026_three_state_answer_keeps_eligible_boolean() -> None:
    body = copy.deepcopy(EXAMPLE)
    body["assessment_year"] = 2026
    body["tiers"] = ["srdi_sme"]
    body["profile"]["financials"] = [dict(f, year=f["year"] + 1) for f in body["profile"]["financials"]]
    body["profile"]["financials"][1].update({"total_assets": "100000000", "total_liabilities": "1"})
    result = by_tier(run(body))["srdi_sme"]
    assert result["rule_set"] == "srdi_sme@2026-04-01"
    assert (result["eligible"], result["decision"], result["passed_via"]) == (False, "undetermined", None)
    undetermined = {c["code"] for c in result["conditions"] if c["status"] == "undetermined"}
    assert undetermined == {"srdi26.market_position", "srdi26.evaluation_score"}
    assert {g["needed"] for g in result["gaps"]} == {"supply market_position_attested", "supply evaluation_score"}
