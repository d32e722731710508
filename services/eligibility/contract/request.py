"""The public self-assessment contract `POST /api/v1/eligibility/evaluate` (pydantic v2), and the pure
function that answers it.

Shapes follow /work/shared/reference/evaluate-contract.md exactly: every field of the contract keeps
its name; the additions are optional. Money is accepted as a decimal string or a JSON number (in
yuan) and becomes `Decimal`; ratios are fractions (0.12 = 12%). A missing or null fact is not an
error (the indicators that need it score 0 and say "not supplied"); a malformed one always is, and
pydantic's error names the field (`profile.financials.0.rd_expense`). Unknown fields are rejected, so
that a misspelt fact cannot pass silently as "not supplied".
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from services.eligibility.contract.values import (
    ContractModel,
    Count,
    Money,
    Rank,
    Ratio,
    SignedMoney,
    Year,
    Years,
    score_value,
)
from services.eligibility.domain.vocabulary import Application, Tier
from shared.text import CLEAN, MAX_ITEMS, TRIMMED, TRIMMED_NFKC, ShortText

# Text as shared.text defines it: trimmed, bounded, no control or invisible characters.
Label = Annotated[str, StringConstraints(max_length=64), TRIMMED_NFKC, CLEAN]
Short = Annotated[str, StringConstraints(max_length=32), TRIMMED, CLEAN]

class FinancialYearIn(ContractModel):
    year: Year
    operating_revenue: Money | None = None
    main_business_revenue: Money | None = None
    rd_expense: Money | None = None
    net_profit: SignedMoney | None = None
    total_assets: Money | None = None
    total_liabilities: Money | None = None
    employees: Count | None = None
    rd_staff: Count | None = None
    new_equity_financing: Money | None = None
    audited: bool | None = None


class IpIn(ContractModel):
    class1_high_value: Count | None = None
    class1_self_developed: Count | None = None
    class1: Count | None = None
    class2: Count | None = None
    invention_patents: Count | None = None
    class1_applied_main_product: Count | None = None
    # Additions (2026 little giant): of class1_applied_main_product, not transferred in; of those, the
    # enterprise among the first three rights holders.
    class1_main_product_own: Count | None = None
    class1_main_product_own_top3: Count | None = None

    @model_validator(mode="after")
    def _nested(self) -> IpIn:
        chain = [self.class1_applied_main_product, self.class1_main_product_own, self.class1_main_product_own_top3]
        known = [n for n in chain if n is not None]
        if any(a < b for a, b in itertools.pairwise(known)):
            raise ValueError(
                "class1_main_product_own_top3 ≤ class1_main_product_own ≤ class1_applied_main_product (nested counts)"
            )
        return self


class RdInstitutionIn(ContractModel):
    level: Literal["national", "provincial", "municipal", "below_municipal", "none"] | None = None
    has_institution: bool | None = None


class QualityIn(ContractModel):
    provincial_quality_award: bool | None = None
    quality_system_certified: bool | None = None
    own_brand: bool | None = None
    standards_drafted: bool | None = None


class FieldIn(ContractModel):
    strategic_emerging: bool | None = None
    # Free text naming the sub-field ("key_basic_materials"); null means "not in any of them".
    six_foundations: Label | None = None
    ten_industries: Label | None = None
    network_power: Label | None = None
    chain_gap_filling: bool | None = None
    time_honoured_brand: bool | None = None
    serves_chain_leader: bool | None = None
    # Additions (2026 little giant); null means "not supplied" for both.
    industry_category: Literal["traditional", "emerging", "future", "other"] | None = None
    key_chain_link: bool | None = None


class ChampionIn(ContractModel):
    global_rank: Rank | None = None
    national_rank: Rank | None = None
    provincial_rank: Rank | None = None
    product_revenue_share: Ratio | None = None
    new_product: bool | None = None
    technology_leading: Literal["international", "domestic", "none"] | None = None
    profit_above_industry: bool | None = None
    energy_advanced: bool | None = None
    # Additions (2023 national text: revenue or profit leading in the industry).
    revenue_leading: bool | None = None
    profit_leading: bool | None = None


class AwardIn(ContractModel):
    level: Literal["national", "provincial"]
    year: Year
    rank: Rank | None = None
    # Additions: which award (the little giant's IP waiver names four national ones), and its certificate date.
    kind: (
        Literal["sci_tech_progress", "natural_science", "technological_invention", "national_defence", "other"] | None
    ) = None
    certificate_date: date | None = None

    @model_validator(mode="after")
    def _date_in_year(self) -> AwardIn:
        if self.certificate_date is not None and self.certificate_date.year != self.year:
            raise ValueError("certificate_date must fall in the award's year")
        return self


class MakerChinaIn(ContractModel):
    year: Year
    group: Literal["top500", "top50"]


class HonourIn(ContractModel):
    type: Literal["high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo"]
    valid_until: date


class ComplianceIn(ContractModel):
    abnormal_operation_list: bool | None = None
    serious_dishonesty_list: bool | None = None
    major_accident_3y: bool | None = None
    prohibited_products: bool | None = None
    data_falsification_3y: bool | None = None  # addition (2026 gate)


class RecognitionIn(ContractModel):
    tier: Tier
    valid_until: date
    recognised_on: date | None = None  # addition: the date the title was granted (re-reviews)


class EvaluationScoreIn(ContractModel):
    year: Year
    score: Annotated[Decimal, BeforeValidator(score_value)]


class ProfileIn(ContractModel):
    uscc: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    industry_code: str | None = Field(default=None, pattern=r"^[A-Ta-t]\d{0,4}$")
    sme: bool | None = None
    established_on: date | None = None
    niche_years: Years | None = None
    financials: list[FinancialYearIn] | None = Field(default=None, max_length=MAX_ITEMS)
    ip: IpIn | None = None
    rd_institution: RdInstitutionIn | None = None
    digital_level: Annotated[int, Field(ge=1, le=4, strict=True)] | None = None
    core_systems: list[Short] | None = Field(default=None, max_length=MAX_ITEMS)
    quality: QualityIn | None = None
    management_certs: list[Label] | None = Field(default=None, max_length=MAX_ITEMS)
    product_certs: list[Short] | None = Field(default=None, max_length=MAX_ITEMS)
    field: FieldIn | None = None
    national_market_share: Ratio | None = None
    champion: ChampionIn | None = None
    awards: list[AwardIn] | None = Field(default=None, max_length=MAX_ITEMS)
    maker_china: list[MakerChinaIn] | None = Field(default=None, max_length=MAX_ITEMS)
    honours: list[HonourIn] | None = Field(default=None, max_length=MAX_ITEMS)
    compliance: ComplianceIn | None = None
    recognitions: list[RecognitionIn] | None = Field(default=None, max_length=MAX_ITEMS)
    # Keys are defined by the province's rule file; values are a choice, a flag or a number.
    province_features: dict[Label, ShortText | bool | int | None] | None = Field(default=None, max_length=50)
    # Additions (optional) needed by the 2026 revision.
    international_market_share: Ratio | None = None
    market_position_attested: bool | None = None
    evaluation_scores: list[EvaluationScoreIn] | None = Field(default=None, max_length=MAX_ITEMS)
    # Additions (2026 readings): renown is evidence only; the little-giant notice's group exclusion.
    renown_attested: bool | None = None
    group_little_giant_similar: bool | None = None

    @field_validator("financials")
    @classmethod
    def _one_entry_per_year(cls, value: list[FinancialYearIn] | None) -> list[FinancialYearIn] | None:
        years = [entry.year for entry in value or []]
        if len(years) != len(set(years)):
            raise ValueError("each year may appear once in financials")
        return value


class EvaluateRequest(ContractModel):
    assessment_year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    tiers: list[Tier] | None = Field(default=None, min_length=1)
    profile: ProfileIn
    # Additions (optional): the assessment date selects the rule version (default: 31 December of the
    # assessment year); a re-review is judged by the rules the recognition was granted under.
    assessed_on: date | None = None
    application: Application = Application.NEW

    @field_validator("tiers")
    @classmethod
    def _no_repeats(cls, value: list[Tier] | None) -> list[Tier] | None:
        if value is not None and len(value) != len(set(value)):
            raise ValueError("a tier may be requested once")
        return value

    @model_validator(mode="after")
    def _date_in_year(self) -> EvaluateRequest:
        if self.assessed_on is not None and self.assessed_on.year != self.assessment_year:
            raise ValueError("assessed_on must fall in assessment_year")
        return self
