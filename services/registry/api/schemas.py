"""The registry's API schemas (I/O), separate from the tables: validate here, then build rows."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from services.registry import validation

Tier = Literal["innovative_sme", "srdi_sme", "little_giant", "single_champion", "single_champion_provincial"]
Money = Decimal
_WHOLE = re.compile(r"\s*[+-]?\d+(\.0+)?\s*")


def _whole_number(value: Any) -> Any:
    """Integers as callers send them: 3, 3.0, "3" and "3.0" are all 3. Anything with a fractional part
    (3.5, "3.5") is left as it came, for pydantic to refuse with the field named."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(Decimal(value.strip()))
    return value


Count = Annotated[int, BeforeValidator(_whole_number)]  # counts, ranks, years, levels


class IpSummary(BaseModel):
    class1_high_value: Count = Field(default=0, ge=0)
    class1_self_developed: Count = Field(default=0, ge=0)
    class1: Count = Field(default=0, ge=0)
    class2: Count = Field(default=0, ge=0)
    invention_patents: Count = Field(default=0, ge=0)
    class1_applied_main_product: Count = Field(default=0, ge=0)


class RdInstitution(BaseModel):
    name: str | None = None
    level: Literal["national", "provincial", "municipal", "below_municipal"]


class Award(BaseModel):
    level: Literal["national", "provincial"]
    year: Count = Field(ge=1980, le=2100)
    rank: Count | None = Field(default=None, ge=1)
    name: str | None = None


class MakerChina(BaseModel):
    year: Count = Field(ge=2010, le=2100)
    group: Literal["top500", "top50"]


class Honour(BaseModel):
    type: Literal["high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo"]
    valid_until: date


class ComplianceRecord(BaseModel):
    kind: Literal[
        "abnormal_operation_list", "serious_dishonesty_list", "major_accident", "prohibited_products", "tax_evasion"
    ]
    since: date
    removed_on: date | None = Field(default=None, description="remediated / removed from the list on")
    note: str | None = None


class EvaluationScore(BaseModel):
    """MIIT's SRDI development evaluation score (工信厅企业〔2024〕75号), as published — never computed here."""

    year: Count = Field(ge=2024, le=2100)
    score: Decimal = Field(ge=0, le=100)


class Quality(BaseModel):
    provincial_quality_award: bool = False
    quality_system_certified: bool = False
    own_brand: bool = False
    standards_drafted: bool = False


class FieldFlags(BaseModel):
    strategic_emerging: bool = False
    six_foundations: str | None = None
    ten_industries: str | None = None
    network_power: str | None = None
    chain_gap_filling: bool = False
    time_honoured_brand: bool = False
    serves_chain_leader: bool = False


class ChampionFacts(BaseModel):
    global_rank: Count | None = Field(default=None, ge=1)
    national_rank: Count | None = Field(default=None, ge=1)
    provincial_rank: Count | None = Field(default=None, ge=1)
    product_revenue_share: Decimal | None = Field(default=None, ge=0, le=1)
    new_product: bool | None = None
    technology_leading: Literal["international", "domestic", "none"] | None = None
    profit_above_industry: bool | None = None
    energy_advanced: bool | None = None


class EnterpriseFacts(BaseModel):
    """Everything but identity: shared by create and (as all-optional) update."""

    model_config = ConfigDict(extra="forbid")

    legal_representative: str | None = Field(default=None, max_length=100)
    established_on: date | None = None
    contact_phone: str | None = Field(default=None, max_length=40)
    contact_email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    niche_market: str | None = Field(default=None, max_length=300)
    niche_since: Count | None = Field(default=None, ge=1949, le=2100)
    main_products: list[str] = Field(default_factory=list)
    key_fields: list[str] = Field(default_factory=list)
    ip: IpSummary = Field(default_factory=IpSummary)
    rd_institutions: list[RdInstitution] = Field(default_factory=list)
    digital_level: Count | None = Field(default=None, ge=1, le=4)
    core_systems: list[Literal["CAX", "CAM", "MES", "ERP", "OA", "CRM", "SRM"]] = Field(default_factory=list)
    management_certs: list[str] = Field(default_factory=list)
    product_certs: list[str] = Field(default_factory=list)
    quality: Quality = Field(default_factory=Quality)
    field_flags: FieldFlags = Field(default_factory=FieldFlags)
    national_market_share: Decimal | None = Field(default=None, ge=0, le=1)
    international_market_share: Decimal | None = Field(default=None, ge=0, le=1)
    market_position_attested: bool | None = Field(default=None, description="market share proven by evidence")
    evaluation_scores: list[EvaluationScore] = Field(default_factory=list)
    champion: ChampionFacts = Field(default_factory=ChampionFacts)
    awards: list[Award] = Field(default_factory=list)
    maker_china: list[MakerChina] = Field(default_factory=list)
    honours: list[Honour] = Field(default_factory=list)
    compliance: list[ComplianceRecord] = Field(default_factory=list)
    province_features: dict[str, Any] = Field(default_factory=dict)

    @field_validator("key_fields")
    @classmethod
    def _known_key_fields(cls, codes: list[str]) -> list[str]:
        return validation.key_fields(codes)

    @field_validator("established_on")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        return validation.not_in_future(value)


class EnterpriseCreate(EnterpriseFacts):
    uscc: str
    name: str = Field(min_length=2, max_length=200)
    county_code: str
    industry_code: str

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        return validation.uscc(value)

    @field_validator("county_code")
    @classmethod
    def _valid_county(cls, value: str) -> str:
        return validation.county(value)

    @field_validator("industry_code")
    @classmethod
    def _valid_industry(cls, value: str) -> str:
        return validation.industry(value)


class EnterpriseUpdate(BaseModel):
    """Partial update: only the fields sent change. Identity (credit code) never changes."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200)
    county_code: str | None = None
    industry_code: str | None = None
    legal_representative: str | None = None
    established_on: date | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    address: str | None = None
    niche_market: str | None = None
    niche_since: Count | None = Field(default=None, ge=1949, le=2100)
    main_products: list[str] | None = None
    key_fields: list[str] | None = None
    ip: IpSummary | None = None
    rd_institutions: list[RdInstitution] | None = None
    digital_level: Count | None = Field(default=None, ge=1, le=4)
    core_systems: list[Literal["CAX", "CAM", "MES", "ERP", "OA", "CRM", "SRM"]] | None = None
    management_certs: list[str] | None = None
    product_certs: list[str] | None = None
    quality: Quality | None = None
    field_flags: FieldFlags | None = None
    national_market_share: Decimal | None = Field(default=None, ge=0, le=1)
    international_market_share: Decimal | None = Field(default=None, ge=0, le=1)
    market_position_attested: bool | None = None
    evaluation_scores: list[EvaluationScore] | None = None
    champion: ChampionFacts | None = None
    awards: list[Award] | None = None
    maker_china: list[MakerChina] | None = None
    honours: list[Honour] | None = None
    compliance: list[ComplianceRecord] | None = None
    province_features: dict[str, Any] | None = None

    @field_validator("county_code")
    @classmethod
    def _valid_county(cls, value: str | None) -> str | None:
        return None if value is None else validation.county(value)

    @field_validator("industry_code")
    @classmethod
    def _valid_industry(cls, value: str | None) -> str | None:
        return None if value is None else validation.industry(value)

    @field_validator("key_fields")
    @classmethod
    def _known_key_fields(cls, codes: list[str] | None) -> list[str] | None:
        return None if codes is None else validation.key_fields(codes)


class FinancialReportIn(BaseModel):
    """One year's report. Money in yuan as decimal strings or numbers (never floats internally)."""

    model_config = ConfigDict(extra="forbid")

    operating_revenue: Money | None = Field(default=None, ge=0)
    main_business_revenue: Money | None = Field(default=None, ge=0)
    rd_expense: Money | None = Field(default=None, ge=0)
    net_profit: Money | None = None
    total_assets: Money | None = Field(default=None, ge=0)
    total_liabilities: Money | None = Field(default=None, ge=0)
    employees: Count | None = Field(default=None, ge=0)
    rd_staff: Count | None = Field(default=None, ge=0)
    new_equity_financing: Money | None = Field(default=None, ge=0)
    audited: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FinancialReportIn:
        validation.financial_consistency(self)
        return self


class FinancialReportPublic(FinancialReportIn):
    year: int


class RecognitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier
    level: Literal["national", "provincial"]
    batch: str | None = Field(default=None, max_length=60)
    valid_from: date
    valid_to: date | None = Field(default=None, description="defaults to three years after valid_from")

    @model_validator(mode="after")
    def _three_years(self) -> RecognitionIn:
        if self.valid_to is None:
            self.valid_to = validation.three_years_after(self.valid_from)
        if self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from / 有效期截止日须晚于起始日")
        return self


class RecognitionPublic(BaseModel):
    tier: str
    level: str
    batch: str | None
    valid_from: date
    valid_to: date
    valid: bool


class EnterprisePublic(EnterpriseFacts):
    model_config = ConfigDict(extra="ignore")

    uscc: str
    name: str
    county_code: str
    prefecture_code: str
    industry_code: str
    size_class: str | None
    version: int
    financials: list[FinancialReportPublic] = Field(default_factory=list)
    recognitions: list[RecognitionPublic] = Field(default_factory=list)


class EnterpriseSummary(BaseModel):
    uscc: str
    name: str
    prefecture_code: str
    county_code: str
    industry_code: str
    size_class: str | None
    key_fields: list[str]
    tiers_held: list[str]
    contact_phone: str | None = Field(description="masked / 已脱敏")


class EnterprisePage(BaseModel):
    data: list[EnterpriseSummary]
    next_cursor: str | None
