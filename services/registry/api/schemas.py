"""The registry's API schemas (I/O), separate from the tables: validate here, then build rows."""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from services.registry.usecases import validation
from shared.money import Money as NonNegativeMoney
from shared.money import SignedMoney
from shared.text import MAX_ITEMS, Address, Code, Email, Name, PersonName, Phone, ShortText, Tag

Tier = Literal["innovative_sme", "srdi_sme", "little_giant", "single_champion", "single_champion_provincial"]
Money = NonNegativeMoney
# ASCII digits only: full-width digits are normalised by the importer (NFKC), not by the API.
_WHOLE = re.compile(r"\s*[+-]?[0-9]+(\.0+)?\s*")


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
# A fraction (0.12 = 12%) with at most six decimals, as the columns hold it.
Share = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]
AwardKind = Literal["sci_tech_progress", "natural_science", "technological_invention", "national_defence", "other"]
CoreSystem = Literal["CAX", "CAM", "MES", "ERP", "OA", "CRM", "SRM"]
Items: Any = Field(default_factory=list, max_length=MAX_ITEMS)
# Free-form province features: flat, bounded keys and values.
Features = dict[Tag, bool | int | ShortText | None]


class IpSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class1_high_value: Count = Field(default=0, ge=0)
    class1_self_developed: Count = Field(default=0, ge=0)
    class1: Count = Field(default=0, ge=0)
    class2: Count = Field(default=0, ge=0)
    invention_patents: Count = Field(default=0, ge=0)
    class1_applied_main_product: Count = Field(default=0, ge=0)
    # 2026 little giant: of the above, not transferred in; of those, the enterprise among the first three
    # rights holders. Nested counts; left out (null) they are unknown, so those rules read "cannot decide".
    class1_main_product_own: Count | None = Field(default=None, ge=0)
    class1_main_product_own_top3: Count | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _nested(self) -> IpSummary:
        chain = [self.class1_applied_main_product, self.class1_main_product_own, self.class1_main_product_own_top3]
        known = [n for n in chain if n is not None]
        if any(a < b for a, b in itertools.pairwise(known)):
            raise ValueError(
                "class1_main_product_own_top3 ≤ class1_main_product_own ≤ class1_applied_main_product "
                "(nested counts) / 自主（非受让）数不得超过应用于主导产品的一类知识产权数，前三权利人数不得超过自主数"
            )
        return self


class RdInstitution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    level: Literal["national", "provincial", "municipal", "below_municipal"]


class Award(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["national", "provincial"]
    year: Count = Field(ge=1980, le=2100)
    rank: Count | None = Field(default=None, ge=1, le=100000)
    name: ShortText | None = None
    # 2026 little giant's waiver reads the national award's kind and the certificate's date.
    kind: AwardKind | None = None
    certificate_date: date | None = Field(default=None, description="in the award's year / 须在获奖年度内")

    @model_validator(mode="after")
    def _certificate_in_award_year(self) -> Award:
        if self.certificate_date is not None and self.certificate_date.year != self.year:
            raise ValueError("certificate_date must fall in the award's year / 证书日期须在获奖年度内")
        return self


class MakerChina(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Count = Field(ge=2010, le=2100)
    group: Literal["top500", "top50"]


class Honour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo"]
    valid_until: date


class ComplianceRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal[
        "abnormal_operation_list", "serious_dishonesty_list", "major_accident", "prohibited_products", "tax_evasion",
        "data_falsification",
    ]
    since: date
    removed_on: date | None = Field(default=None, description="remediated / removed from the list on")
    note: ShortText | None = None


class EvaluationScore(BaseModel):
    """MIIT's SRDI development evaluation score (工信厅企业〔2024〕75号), as published — never computed here."""

    model_config = ConfigDict(extra="forbid")

    year: Count = Field(ge=2024, le=2100)
    score: Decimal = Field(ge=0, le=100, decimal_places=2)


class Quality(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provincial_quality_award: bool = False
    quality_system_certified: bool = False
    own_brand: bool = False
    standards_drafted: bool = False


class FieldFlags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategic_emerging: bool = False
    six_foundations: Tag | None = None
    ten_industries: Tag | None = None
    network_power: Tag | None = None
    chain_gap_filling: bool = False
    time_honoured_brand: bool = False
    serves_chain_leader: bool = False
    # 2026 little giant: the main product's industry category and whether it sits at a key chain link.
    industry_category: Literal["traditional", "emerging", "future", "other"] | None = None
    key_chain_link: bool | None = None


class ChampionFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    global_rank: Count | None = Field(default=None, ge=1)
    national_rank: Count | None = Field(default=None, ge=1)
    provincial_rank: Count | None = Field(default=None, ge=1)
    product_revenue_share: Share | None = None
    new_product: bool | None = None
    technology_leading: Literal["international", "domestic", "none"] | None = None
    profit_above_industry: bool | None = None
    energy_advanced: bool | None = None
    # 2023 national text: "主营业务收入或利润行业领先" (revenue or profit leading in the industry).
    revenue_leading: bool | None = None
    profit_leading: bool | None = None


class EnterpriseFacts(BaseModel):
    """Everything but identity: shared by create and (as all-optional) update."""

    model_config = ConfigDict(extra="forbid")

    legal_representative: PersonName | None = None
    established_on: date | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    address: Address | None = None
    niche_market: Address | None = None
    niche_since: Count | None = Field(default=None, ge=1949, le=2100)
    main_products: list[ShortText] = Items
    key_fields: list[Tag] = Items
    ip: IpSummary = Field(default_factory=IpSummary)
    rd_institutions: list[RdInstitution] = Items
    digital_level: Count | None = Field(default=None, ge=1, le=4)
    core_systems: list[CoreSystem] = Field(default_factory=list, max_length=7)
    management_certs: list[ShortText] = Items
    product_certs: list[ShortText] = Items
    quality: Quality = Field(default_factory=Quality)
    field_flags: FieldFlags = Field(default_factory=FieldFlags)
    national_market_share: Share | None = None
    international_market_share: Share | None = None
    market_position_attested: bool | None = Field(default=None, description="market share proven by evidence")
    renown_attested: bool | None = Field(default=None, description="renown proven by evidence (2026) / 知名度有佐证")
    group_little_giant_similar: bool | None = Field(
        default=None, description="a group member is a little giant in a similar field / 集团内同类小巨人"
    )
    evaluation_scores: list[EvaluationScore] = Items
    champion: ChampionFacts = Field(default_factory=ChampionFacts)
    awards: list[Award] = Items
    maker_china: list[MakerChina] = Items
    honours: list[Honour] = Items
    compliance: list[ComplianceRecord] = Items
    province_features: Features = Field(default_factory=dict, max_length=50)

    @field_validator("key_fields")
    @classmethod
    def _known_key_fields(cls, codes: list[str]) -> list[str]:
        return validation.key_fields(codes)

    @field_validator("established_on")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        return validation.not_in_future(value)


class EnterpriseCreate(EnterpriseFacts):
    uscc: Code
    name: Name
    county_code: Code
    industry_code: Code

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

    name: Name | None = None
    county_code: Code | None = None
    industry_code: Code | None = None
    legal_representative: PersonName | None = None
    established_on: date | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    address: Address | None = None
    niche_market: Address | None = None
    niche_since: Count | None = Field(default=None, ge=1949, le=2100)
    main_products: list[ShortText] | None = Field(default=None, max_length=MAX_ITEMS)
    key_fields: list[Tag] | None = Field(default=None, max_length=MAX_ITEMS)
    ip: IpSummary | None = None
    rd_institutions: list[RdInstitution] | None = Field(default=None, max_length=MAX_ITEMS)
    digital_level: Count | None = Field(default=None, ge=1, le=4)
    core_systems: list[CoreSystem] | None = Field(default=None, max_length=7)
    management_certs: list[ShortText] | None = Field(default=None, max_length=MAX_ITEMS)
    product_certs: list[ShortText] | None = Field(default=None, max_length=MAX_ITEMS)
    quality: Quality | None = None
    field_flags: FieldFlags | None = None
    national_market_share: Share | None = None
    international_market_share: Share | None = None
    market_position_attested: bool | None = None
    renown_attested: bool | None = None
    group_little_giant_similar: bool | None = None
    evaluation_scores: list[EvaluationScore] | None = Field(default=None, max_length=MAX_ITEMS)
    champion: ChampionFacts | None = None
    awards: list[Award] | None = Field(default=None, max_length=MAX_ITEMS)
    maker_china: list[MakerChina] | None = Field(default=None, max_length=MAX_ITEMS)
    honours: list[Honour] | None = Field(default=None, max_length=MAX_ITEMS)
    compliance: list[ComplianceRecord] | None = Field(default=None, max_length=MAX_ITEMS)
    province_features: Features | None = Field(default=None, max_length=50)

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

    operating_revenue: Money | None = None
    main_business_revenue: Money | None = None
    rd_expense: Money | None = None
    net_profit: SignedMoney | None = None
    total_assets: Money | None = None
    total_liabilities: Money | None = None
    employees: Count | None = Field(default=None, ge=0, le=10_000_000)
    rd_staff: Count | None = Field(default=None, ge=0, le=10_000_000)
    new_equity_financing: Money | None = None
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
    batch: Annotated[ShortText, Field(max_length=60)] | None = None
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
