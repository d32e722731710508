"""What the catalogue says about a metric: kind, unit, label, allowed years, the arguments a rule may pass.

The metrics themselves are declared in `metrics.py` (one declaration each, with the facts they read);
`CATALOGUE` there is derived from those declarations, and the loader rejects a rule file that names
anything else (with the file and line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import (
    CORE_SYSTEM_CODES,
    PRODUCT_CERT_CODES,
    Tier,
)

Kind = Literal["number", "flag", "choice"]
# growth_factor: stored as R1/R3 so that "compound growth ≥ t" compares exactly as R1/R3 ≥ (1+t)².
Unit = Literal["money", "ratio", "count", "years", "rank", "level", "score", "growth_factor", "none"]

FINANCIAL_OFFSETS = (1, 2, 3)  # the batch columns hold Y-1 … Y-3
GROWTH_OFFSETS = (1, 2)  # growth of year Y-k needs year Y-k-1
SCORE_OFFSETS = (0, 1, 2)  # the MIIT evaluation score of this year and the two before


class MetricArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwardArgs(MetricArgs):
    levels: list[Literal["national", "provincial"]] = Field(min_length=1)
    max_rank: int | None = Field(default=None, ge=1)


class MakerChinaArgs(MetricArgs):
    groups: list[Literal["top500", "top50"]] = Field(min_length=1)


class HonourArgs(MetricArgs):
    types: list[Literal["high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo"]] = Field(
        min_length=1
    )


class RecognitionArgs(MetricArgs):
    tiers: list[Tier] = Field(min_length=1)


class CoreSystemArgs(MetricArgs):
    accepted: list[Literal[CORE_SYSTEM_CODES]] = Field(min_length=1)  # type: ignore[valid-type]


class ProductCertArgs(MetricArgs):
    accepted: list[Literal[PRODUCT_CERT_CODES]] = Field(min_length=1)  # type: ignore[valid-type]


class ProvinceFeatureArgs(MetricArgs):
    key: str


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: Kind
    unit: Unit
    label: Text
    offsets: tuple[int, ...] = ()  # empty: not read per year
    args: type[MetricArgs] | None = None
    choices: tuple[str, ...] = ()
    # "the last 2 years' new equity financing sums the entries of those years": a year without an
    # entry adds nothing instead of making the sum unknown.
    missing_as_zero_in_sum: bool = False

    @property
    def per_year(self) -> bool:
        return bool(self.offsets)
