"""What `POST /api/v1/eligibility/evaluate` answers, and how a domain `TierResult` becomes it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

from services.eligibility.domain.engine.results import ConditionResult, Gap, IndicatorResult, TierResult
from services.eligibility.domain.vocabulary import Decision, PassedVia, Status, Tier


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


JsonDecimal = Annotated[Decimal, PlainSerializer(_json_number, when_used="json")]
ResponseValue = bool | int | JsonDecimal | str | None


class Localized(BaseModel):
    zh: str
    en: str


class IndicatorOut(BaseModel):
    code: str
    label: Localized
    value: ResponseValue
    band: str | None
    points: int
    max_points: int
    explanation: Localized
    group: str | None = None


class ConditionOut(BaseModel):
    code: str
    label: Localized
    met: bool
    value: ResponseValue
    threshold: ResponseValue
    explanation: Localized
    status: Status  # addition: met / not_met / undetermined
    details: list[ConditionOut] = Field(default_factory=list)  # addition: the parts of a combined condition


class GapOut(BaseModel):
    code: str
    message: Localized
    needed: str
    metric: str | None = None
    shortfall: JsonDecimal | None = None
    unit: str | None = None
    points_gain: int | None = None


class TierResultOut(BaseModel):
    tier: Tier
    rule_set: str
    eligible: bool
    score: int | None
    passed_via: PassedVia | None
    indicators: list[IndicatorOut]
    conditions: list[ConditionOut]
    gaps: list[GapOut]
    # Addition: the three-state answer; `eligible` is false when this is "undetermined".
    decision: Decision


class EvaluateResponse(BaseModel):
    assessment_year: int
    results: list[TierResultOut]


def _localized(text: Any) -> Localized:
    return Localized(zh=text.zh, en=text.en)


def _indicator(result: IndicatorResult) -> IndicatorOut:
    return IndicatorOut(
        code=result.code,
        label=_localized(result.label),
        value=result.value,
        band=result.band,
        points=result.points,
        max_points=result.max_points,
        explanation=_localized(result.explanation),
        group=result.group,
    )


def _condition(result: ConditionResult) -> ConditionOut:
    return ConditionOut(
        code=result.code,
        label=_localized(result.label),
        met=result.met,
        value=result.value,
        threshold=result.threshold,
        explanation=_localized(result.explanation),
        status=result.status,
        details=[_condition(d) for d in result.details],
    )


def _gap(gap: Gap) -> GapOut:
    return GapOut(
        code=gap.code,
        message=_localized(gap.message),
        needed=gap.needed,
        metric=gap.metric,
        shortfall=gap.shortfall,
        unit=gap.unit,
        points_gain=gap.points_gain,
    )


def tier_result_out(result: TierResult) -> TierResultOut:
    return TierResultOut(
        tier=result.tier,
        rule_set=result.rule_set,
        eligible=result.eligible,
        score=result.score,
        passed_via=result.passed_via,
        indicators=[_indicator(i) for i in result.indicators],
        conditions=[_condition(c) for c in result.conditions],
        gaps=[_gap(g) for g in result.gaps],
        decision=result.decision,
    )
