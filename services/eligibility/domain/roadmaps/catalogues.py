"""The two data catalogues beside the tier rules: measures (for roadmaps) and Yunnan's targets
(for seed banks). Same loader as the rule files: a malformed file names its line."""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from services.eligibility.domain.facts.metrics import CATALOGUE
from services.eligibility.domain.rulebook.loading import RULES_DIR, load_model
from services.eligibility.domain.rulebook.ruleset import Bilingual, RuleModel, Source
from services.eligibility.domain.vocabulary import Tier


class Measure(RuleModel):
    code: str
    label: Bilingual
    text: Bilingual
    lead_time_months: int = Field(ge=0)
    shows_in: Literal["statements", "certificate", "record"]
    closes: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_metrics(self) -> Measure:
        unknown = [m for m in self.closes if m not in CATALOGUE]
        if unknown:
            raise ValueError(f"unknown metrics {unknown}")
        return self


class MeasureCatalogue(RuleModel):
    kind: Literal["measures"]
    status: Literal["official", "project_default"]
    measures: list[Measure]

    def closing(self, metric: str) -> list[Measure]:
        """Measures that move `metric`, quickest first."""
        return sorted((m for m in self.measures if metric in m.closes), key=lambda m: (m.lead_time_months, m.code))


class Plan(RuleModel):
    id: str
    source: Source
    years: list[int]
    baseline: dict[Tier, int] = Field(default_factory=dict)
    totals_by_end: dict[Tier, int]
    yearly_increase: dict[Tier, int] = Field(default_factory=dict)

    def yearly_target(self, tier: Tier) -> Fraction:
        if tier in self.yearly_increase:
            return Fraction(self.yearly_increase[tier])
        if tier not in self.baseline:
            raise LookupError(f"plan {self.id} has no yearly target for {tier}")
        return Fraction(self.totals_by_end[tier] - self.baseline[tier], len(self.years))


class Pool(RuleModel):
    requires_valid: list[Tier]
    excludes_valid: list[Tier]
    min_invention_patents: int | None = None
    must_be_sme: bool = True


class Filing(RuleModel):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    by: Bilingual


class SeedBankRule(RuleModel):
    multiplier: int = Field(ge=1)
    pool: Pool
    filing: Filing | None = None
    built_by: Bilingual | None = None


class Prefecture(RuleModel):
    code: str
    name: str


class Targets(RuleModel):
    kind: Literal["targets"]
    plans: list[Plan]
    seed_bank_plan: str
    seed_banks: dict[Tier, SeedBankRule]
    prefectures: list[Prefecture]

    def plan(self, plan_id: str) -> Plan:
        return next(p for p in self.plans if p.id == plan_id)


def load_measures(path: Path = RULES_DIR / "measures.yaml") -> MeasureCatalogue:
    return load_model(path, MeasureCatalogue)


def load_targets(path: Path = RULES_DIR / "yunnan_targets.yaml") -> Targets:
    return load_model(path, Targets)


@cache
def default_measures() -> MeasureCatalogue:
    return load_measures()


@cache
def default_targets() -> Targets:
    return load_targets()
