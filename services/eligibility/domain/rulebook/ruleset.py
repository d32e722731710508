"""The shape of a rule file, as pydantic models (validated at load; frozen afterwards).

A tier's rule set is data: gate clauses, required conditions, an optional score (indicators with
bands) and optional direct routes. The engines (scalar `engine.py`, vectorised `batch.py`) walk
these models; neither holds a threshold of its own.

Leaves read one *metric* (see `metric_catalogue.py`) for one or more years. Years are offsets
from the assessment year (1 = last year); rule files name them through the windows declared in
their own `conventions`, so "近2年" means whatever the file says it means.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from services.eligibility.domain.vocabulary import Tier


def _exact_number(value: Any) -> Any:
    # YAML reads 0.05 as a binary float; thresholds must be written as quoted strings or integers
    # so that the edge is the decimal the source document prints.
    if isinstance(value, float):
        raise ValueError("write non-integer thresholds as quoted strings (e.g. '0.05'), not YAML floats")
    if isinstance(value, bool):
        raise ValueError("a threshold must be a number, not a boolean")
    return value


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_number)]
Combine = Literal["sum", "mean", "min", "max", "latest", "any", "all"]


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(RuleModel):
    zh: str
    en: str


class Source(RuleModel):
    document: str
    number: str | None = None
    issued_on: date | None = None
    section: str | None = None
    note: str | None = None


class Conventions(RuleModel):
    id_date: str
    windows: dict[str, list[int]]
    years_read: str
    band_edges: str
    averaging: str
    missing_fact: Literal["not_met", "undetermined"]


# --- leaves and conditions -------------------------------------------------------------------


class MetricLeaf(RuleModel):
    metric: str
    years: str | list[int] | None = None  # a window name from `conventions.windows`, or offsets
    combine: Combine | None = None
    args: dict[str, Any] = Field(default_factory=dict)


class Labelled(RuleModel):
    code: str | None = None
    label: Bilingual | None = None


class CompareCondition(Labelled, MetricLeaf):
    kind: Literal["compare"]
    at_least: ExactDecimal | None = None
    at_most: ExactDecimal | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> CompareCondition:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a compare condition needs exactly one of at_least / at_most")
        return self

    @property
    def threshold(self) -> Decimal:
        bound = self.at_least if self.at_least is not None else self.at_most
        assert bound is not None
        return bound


class FlagCondition(Labelled, MetricLeaf):
    kind: Literal["flag"]
    expect: bool = True


class ChoiceCondition(Labelled, MetricLeaf):
    kind: Literal["choice_in"]
    values: list[str | bool | int]


class AnyOf(Labelled):
    kind: Literal["any_of"]
    conditions: list[Condition]


class AllOf(Labelled):
    kind: Literal["all_of"]
    conditions: list[Condition]


class Case(RuleModel):
    when: Condition
    then: Condition


class ByCase(Labelled):
    """The first case whose `when` holds decides; `otherwise` if none does."""

    kind: Literal["by_case"]
    cases: list[Case]
    otherwise: Condition


Condition = Annotated[
    CompareCondition | FlagCondition | ChoiceCondition | AnyOf | AllOf | ByCase,
    Field(discriminator="kind"),
]
LEAF_KINDS = (CompareCondition, FlagCondition, ChoiceCondition)


class TopCondition(RuleModel):
    """A condition as listed in a rule set: code and label are required here."""

    code: str
    label: Bilingual
    rule: Condition
    # Yunnan's own additions are labelled so that a reader can tell them from the national text.
    source_note: str | None = None


# --- indicators ------------------------------------------------------------------------------


class Band(RuleModel):
    band: str
    points: int
    at_least: ExactDecimal | None = None
    at_most: ExactDecimal | None = None


class BandTable(MetricLeaf):
    better: Literal["higher", "lower"]
    bands: list[Band]

    @model_validator(mode="after")
    def _bands_ordered(self) -> BandTable:
        if not self.bands:
            raise ValueError("a band table needs at least one band")
        *edged, last = self.bands
        if last.at_least is not None or last.at_most is not None:
            raise ValueError("the last band is 'otherwise' and takes no threshold")
        key = "at_least" if self.better == "higher" else "at_most"
        other = "at_most" if key == "at_least" else "at_least"
        edges: list[Decimal] = []
        for band in edged:
            edge = getattr(band, key)
            if edge is None or getattr(band, other) is not None:
                raise ValueError(f"with better={self.better} every band but the last gives only {key}")
            edges.append(edge)
        ordered = sorted(edges, reverse=self.better == "higher")
        if edges != ordered or len(set(edges)) != len(edges):
            raise ValueError("bands must be listed best first, with strictly monotone edges")
        return self


class IndicatorBase(RuleModel):
    code: str
    label: Bilingual
    group: str | None = None
    max_points: int


class BandsIndicator(IndicatorBase, BandTable):
    kind: Literal["bands"]


class LadderStep(RuleModel):
    band: str
    points: int
    when: Condition


class Otherwise(RuleModel):
    band: str
    points: int


class LadderIndicator(IndicatorBase):
    """The first step whose condition holds gives the points (e.g. IP: high-value Class I first)."""

    kind: Literal["ladder"]
    steps: list[LadderStep]
    otherwise: Otherwise


class PointsItem(RuleModel):
    points: int
    when: Condition


class PointsPerItemIndicator(IndicatorBase):
    """Points for each item that holds, capped (e.g. quality management: 3 each, at most 5)."""

    kind: Literal["points_per_item"]
    items: list[PointsItem]
    cap: int


class PerFullStepIndicator(IndicatorBase, MetricLeaf):
    """`points_per_step` for each full `step` of the metric, capped (years in the niche)."""

    kind: Literal["per_full_step"]
    step: int = Field(gt=0)
    points_per_step: int
    cap: int


class BestOfIndicator(IndicatorBase):
    """Several band tables; the best points count (R&D input: amount or intensity)."""

    kind: Literal["best_of"]
    options: list[BandTable]


Indicator = Annotated[
    BandsIndicator | LadderIndicator | PointsPerItemIndicator | PerFullStepIndicator | BestOfIndicator,
    Field(discriminator="kind"),
]


class Group(RuleModel):
    code: str
    label: Bilingual
    min_points: int | None = None


class Scoring(RuleModel):
    total_points: int
    pass_score: int
    groups: list[Group] = Field(default_factory=list)
    indicators: list[Indicator]
    # A separate, replaceable file (path relative to the rules directory, without `.yaml`).
    province_indicators: str | None = None
    province_group: str | None = None
    province_max_points: int | None = None


class ReReview(RuleModel):
    """How a re-review differs from a new application under the same rule set."""

    omit: list[str] = Field(default_factory=list)
    replace: list[TopCondition] = Field(default_factory=list)


class ApplicationRules(RuleModel):
    typical_month: int = Field(ge=1, le=12)
    prerequisite_tier: Tier | None = None
    note: str


class TierRuleSet(RuleModel):
    id: str
    kind: Literal["tier"]
    tier: Tier
    status: Literal["official", "project_default"]
    label: Bilingual
    source: Source
    effective_from: date
    conventions: Conventions
    validity_years: int
    application: ApplicationRules
    gate: list[TopCondition]
    conditions: list[TopCondition] = Field(default_factory=list)
    scoring: Scoring | None = None
    # Alternatives to the score ("or any direct condition"); only meaningful beside a score.
    direct: list[TopCondition] = Field(default_factory=list)
    re_review: ReReview | None = None

    @model_validator(mode="after")
    def _direct_needs_score(self) -> TierRuleSet:
        if self.direct and self.scoring is None:
            raise ValueError("direct routes are alternatives to a score; this rule set has no scoring")
        return self


class ProvinceFeature(RuleModel):
    kind: Literal["choice", "flag"]
    label: Bilingual
    values: dict[str, Bilingual] = Field(default_factory=dict)


class ProvinceIndicators(RuleModel):
    id: str
    kind: Literal["province_indicators"]
    status: Literal["official", "project_default"]
    province: Bilingual
    label: Bilingual
    source: Source
    max_points: int
    features: dict[str, ProvinceFeature]
    indicators: list[Indicator] = Field(min_length=1, max_length=3)


class SizeClass(RuleModel):
    code: str
    label: Bilingual
    # GB/T 4754 prefixes: a section letter ("C") or letter + digits ("F51", "K7010").
    prefixes: list[str]
    employees_below: int | None = None
    revenue_below: ExactDecimal | None = None
    assets_below: ExactDecimal | None = None


class SizeStandard(RuleModel):
    id: str
    kind: Literal["size_standard"]
    label: Bilingual
    source: Source
    effective_from: date
    convention: str
    table: str  # the id of the shared table (shared/standards/sme_size_2011.yaml) the classes come from
    classes: list[SizeClass]
    other: SizeClass


for _model in (AnyOf, AllOf, Case, ByCase, TopCondition, LadderStep, PointsItem, ReReview, TierRuleSet):
    _model.model_rebuild()
