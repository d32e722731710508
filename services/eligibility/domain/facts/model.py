"""The facts one assessment needs — exactly what the evaluate contract's `profile` carries.

Plain frozen dataclasses, no framework. Money is `Decimal` yuan, ratios are `Decimal` fractions
(0.12 = 12%). `None` always means "not supplied"; it never means zero. The one exception is the
string fields of `ProductField` (`six_foundations`, …): there the contract uses null for "not in
any of those fields", so an unsupplied *field block* is `Facts.field is None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal

from services.eligibility.domain.vocabulary import Tier


@dataclass(frozen=True, slots=True)
class FinancialYear:
    year: int
    operating_revenue: Decimal | None = None
    main_business_revenue: Decimal | None = None
    rd_expense: Decimal | None = None
    net_profit: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None
    employees: int | None = None
    rd_staff: int | None = None
    # New paid-in equity from qualified institutional investors in that year.
    new_equity_financing: Decimal | None = None
    # The year's statements were audited and filed (Yunnan: on the MOF platform for CPAs).
    audited: bool | None = None


@dataclass(frozen=True, slots=True)
class IntellectualProperty:
    class1_high_value: int | None = None
    class1_self_developed: int | None = None
    class1: int | None = None
    class2: int | None = None
    invention_patents: int | None = None
    # Class I IP related to the main product, applied in production and producing economic benefit.
    class1_applied_main_product: int | None = None


@dataclass(frozen=True, slots=True)
class RdInstitution:
    level: str | None = None  # vocabulary.RD_INSTITUTION_LEVELS
    has_institution: bool | None = None


@dataclass(frozen=True, slots=True)
class Quality:
    provincial_quality_award: bool | None = None
    quality_system_certified: bool | None = None
    own_brand: bool | None = None
    standards_drafted: bool | None = None


@dataclass(frozen=True, slots=True)
class ProductField:
    strategic_emerging: bool | None = None
    six_foundations: str | None = None  # null = not in the six industrial foundations
    ten_industries: str | None = None
    network_power: str | None = None
    chain_gap_filling: bool | None = None
    time_honoured_brand: bool | None = None
    serves_chain_leader: bool | None = None


@dataclass(frozen=True, slots=True)
class Champion:
    global_rank: int | None = None
    national_rank: int | None = None
    provincial_rank: int | None = None
    product_revenue_share: Decimal | None = None
    new_product: bool | None = None
    technology_leading: str | None = None  # vocabulary.TECHNOLOGY_LEADING
    profit_above_industry: bool | None = None
    energy_advanced: bool | None = None


@dataclass(frozen=True, slots=True)
class Award:
    level: str  # vocabulary.AWARD_LEVELS
    year: int
    rank: int | None = None


@dataclass(frozen=True, slots=True)
class MakerChinaEntry:
    year: int
    group: str  # vocabulary.MAKER_CHINA_GROUPS


@dataclass(frozen=True, slots=True)
class Honour:
    type: str  # vocabulary.HONOUR_TYPES
    valid_until: date


@dataclass(frozen=True, slots=True)
class Compliance:
    abnormal_operation_list: bool | None = None
    serious_dishonesty_list: bool | None = None
    major_accident_3y: bool | None = None
    prohibited_products: bool | None = None


@dataclass(frozen=True, slots=True)
class Recognition:
    tier: Tier
    valid_until: date
    recognised_on: date | None = None


@dataclass(frozen=True, slots=True)
class EvaluationScore:
    """MIIT's SRDI development evaluation score (工信厅企业〔2024〕75号) — an input, never computed here."""

    year: int
    score: Decimal


@dataclass(frozen=True, slots=True)
class Facts:
    uscc: str | None = None
    industry_code: str | None = None
    sme: bool | None = None  # None: derived from the SME size standard
    established_on: date | None = None
    niche_years: int | None = None  # full years in the niche market, to the end of last year
    financials: tuple[FinancialYear, ...] = ()
    ip: IntellectualProperty | None = None
    rd_institution: RdInstitution | None = None
    digital_level: int | None = None
    core_systems: tuple[str, ...] | None = None
    quality: Quality | None = None
    management_certs: tuple[str, ...] | None = None
    product_certs: tuple[str, ...] | None = None
    field: ProductField | None = None
    national_market_share: Decimal | None = None
    champion: Champion | None = None
    awards: tuple[Award, ...] = ()
    maker_china: tuple[MakerChinaEntry, ...] = ()
    honours: tuple[Honour, ...] = ()
    compliance: Compliance | None = None
    recognitions: tuple[Recognition, ...] = ()
    province_features: dict[str, str | bool | int] = dataclass_field(default_factory=dict)
    # Additions beyond the contract's example (optional): needed by the 2026 revision.
    international_market_share: Decimal | None = None
    market_position_attested: bool | None = None
    evaluation_scores: tuple[EvaluationScore, ...] = ()

    def year(self, year: int) -> FinancialYear | None:
        for entry in self.financials:
            if entry.year == year:
                return entry
        return None

    def recognition(self, tier: Tier) -> Recognition | None:
        """The most recent recognition for `tier`, if any."""
        matching = [r for r in self.recognitions if r.tier == tier]
        return max(matching, key=lambda r: r.valid_until) if matching else None


# The blocks of `Facts` that group several facts (a path "ip.class1" names a field of one).
BLOCKS: dict[str, type] = {
    "ip": IntellectualProperty,
    "rd_institution": RdInstitution,
    "quality": Quality,
    "field": ProductField,
    "champion": Champion,
    "compliance": Compliance,
}
