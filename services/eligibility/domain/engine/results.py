"""What an assessment returns: one `TierResult` per tier (plain, framework-free)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import Decision, PassedVia, Status, Tier

DisplayValue = Decimal | int | bool | str | None


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    code: str
    label: Text
    value: DisplayValue
    band: str | None
    points: int
    max_points: int
    explanation: Text
    group: str | None = None


@dataclass(frozen=True, slots=True)
class ConditionResult:
    code: str
    label: Text
    status: Status
    value: DisplayValue
    threshold: DisplayValue
    explanation: Text
    details: tuple[ConditionResult, ...] = ()

    @property
    def met(self) -> bool:
        return self.status is Status.MET


@dataclass(frozen=True, slots=True)
class Gap:
    """Something that keeps a tier out of reach, in the enterprise's own numbers.

    `needed` is a compact machine-readable statement ("rd_expense +516000 yuan"); `metric` and
    `lever` let the roadmap find measures; `years_of_data` says how many future financial years must
    show the fix (2 for "each of the last 2 years").
    """

    code: str
    message: Text
    needed: str
    metric: str | None = None
    shortfall: Decimal | None = None
    unit: str | None = None
    points_gain: int | None = None
    years_of_data: int = 0
    missing_fact: bool = False


@dataclass(frozen=True, slots=True)
class TierResult:
    tier: Tier
    rule_set: str
    decision: Decision
    score: int | None
    passed_via: PassedVia | None
    indicators: tuple[IndicatorResult, ...]
    conditions: tuple[ConditionResult, ...]
    gaps: tuple[Gap, ...]

    @property
    def eligible(self) -> bool:
        return self.decision is Decision.ELIGIBLE
