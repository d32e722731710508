"""Durations in years as callers send them (issue 7): 1.9 years in the niche is a fact, not a 422; every
tier that reads years in the niche decides at its 2- and 3-year edges (and the champion's 5 / 10) exactly
as the fraction would; counts accept 3.0 but not 3.5; a malformed duration is a 422 naming the field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.eligibility.contract.request import EvaluateRequest
from services.eligibility.usecases.evaluate import evaluate

EXAMPLE: dict[str, Any] = json.loads((Path(__file__).parent / "contract_example.json").read_text(encoding="utf-8"))
EDGES = ["1.99", "2", "2.0", "2.01", "2.5", "2.99", "3", "3.0", "3.01", "4.99", "5.0", "9.99", "10.0", "10.5"]

# (assessment year → rule set, tier, the condition reading niche_years, its threshold in years)
READERS = [
    (2025, "srdi_sme", "srdi.niche_years", 2),
    (2025, "little_giant", "lg.niche_years", 3),
    (2026, "srdi_sme", "srdi26.niche_years", 3),
    (2026, "little_giant", "lg26.niche_years", 3),
    (2026, "single_champion", "champion.years_in_field", 10),  # not a new product: 10 years
]


def condition(year: int, tier: str, code: str, niche_years: Any, as_number: bool) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE) | {"assessment_year": year, "tiers": [tier]}
    body["profile"]["niche_years"] = float(niche_years) if as_number else niche_years
    response = json.loads(evaluate(EvaluateRequest.model_validate(body)).model_dump_json())
    conditions = {c["code"]: c for c in response["results"][0]["conditions"]}
    return conditions[code]


@pytest.mark.parametrize(("year", "tier", "code", "threshold"), READERS)
@pytest.mark.parametrize("as_number", [True, False], ids=["json-number", "decimal-string"])
def test_every_reader_decides_at_its_edges_as_the_fraction_would(
    year: int, tier: str, code: str, threshold: int, as_number: bool
) -> None:
    for edge in EDGES:
        found = condition(year, tier, code, edge, as_number)
        expected = "met" if Decimal(edge) >= threshold else "not_met"
        assert found["status"] == expected, (tier, edge, found["explanation"])


def test_the_champion_new_product_reads_five_years() -> None:
    for edge, expected in (("4.99", "not_met"), ("5.0", "met"), ("5.5", "met")):
        body = copy.deepcopy(EXAMPLE) | {"assessment_year": 2026, "tiers": ["single_champion"]}
        body["profile"]["niche_years"] = edge
        body["profile"].setdefault("champion", {})["new_product"] = True
        response = json.loads(evaluate(EvaluateRequest.model_validate(body)).model_dump_json())
        found = next(c for c in response["results"][0]["conditions"] if c["code"] == "champion.years_in_field")
        assert found["status"] == expected, (edge, found["explanation"])


def test_srdi_points_per_full_two_years_count_full_years() -> None:
    def points(niche_years: str) -> int:
        body = copy.deepcopy(EXAMPLE) | {"assessment_year": 2025, "tiers": ["srdi_sme"]}
        body["profile"]["niche_years"] = niche_years
        response = json.loads(evaluate(EvaluateRequest.model_validate(body)).model_dump_json())
        return next(i["points"] for i in response["results"][0]["indicators"] if i["code"] == "srdi.niche_years")

    assert [points(y) for y in ("1.99", "2.0", "3.99", "4.0")] == [0, 1, 1, 2]


@pytest.mark.parametrize("bad", ["-0.5", "abc", "NaN", "Infinity", True, "1e400", 250])
def test_a_malformed_duration_is_refused_naming_the_field(bad: Any) -> None:
    body = copy.deepcopy(EXAMPLE)
    body["profile"]["niche_years"] = bad
    with pytest.raises(ValidationError) as refused:
        EvaluateRequest.model_validate(body)
    assert [e["loc"] for e in refused.value.errors()] == [("profile", "niche_years")]


def test_counts_accept_whole_floats_but_not_fractions() -> None:
    body = copy.deepcopy(EXAMPLE)
    body["profile"]["financials"][0]["employees"] = 230.0
    assert EvaluateRequest.model_validate(body).profile.financials[0].employees == 230  # type: ignore[index, union-attr]
    body["profile"]["financials"][0]["employees"] = 230.5
    with pytest.raises(ValidationError) as refused:
        EvaluateRequest.model_validate(body)
    assert [e["loc"] for e in refused.value.errors()] == [("profile", "financials", 0, "employees")]
