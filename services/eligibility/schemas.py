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

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.eligibility.domain import facts as domain
from services.eligibility.domain.engine import assess
from services.eligibility.domain.results import ConditionResult, Gap, IndicatorResult, TierResult
from services.eligibility.domain.rulebook import RuleBook
from services.eligibility.domain.vocabulary import Application, Decision, PassedVia, Status, Tier
from shared.text import CLEAN, MAX_ITEMS, TRIMMED, TRIMMED_NFKC, ShortText

Label = Annotated[str, StringConstraints(max_length=64), TRIMMED_NFKC, CLEAN]

MAX_YUAN = Decimal(10) ** 12  # the batch columns hold |money| ≤ 10^12 yuan exactly


def _decimal(value: Any, places: int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} must be a decimal string or a number")
    try:
        # A JSON number arrives as a float: its shortest repr is the decimal the client wrote.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{what} is not a number: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"{what} must be finite")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{what} has more than {places} decimal places")
    return number


def _money(value: Any) -> Decimal:
    amount = _decimal(value, 2, "money (yuan)")
    if abs(amount) > MAX_YUAN:
        raise ValueError("money out of range (at most 10^12 yuan)")
    return amount


def _ratio(value: Any) -> Decimal:
    ratio = _decimal(value, 6, "ratio (a fraction, 0.12 = 12%)")
    if not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError("a ratio is a fraction between 0 and 1 (0.12 = 12%)")
    return ratio


def _score(value: Any) -> Decimal:
    score = _decimal(value, 2, "score")
    if not Decimal(0) <= score <= Decimal(100):
        raise ValueError("a score is between 0 and 100")
    return score


SignedMoney = Annotated[Decimal, BeforeValidator(_money)]
Money = Annotated[Decimal, BeforeValidator(_money), Field(ge=0)]
Ratio = Annotated[Decimal, BeforeValidator(_ratio)]
Count = Annotated[int, Field(ge=0, strict=True)]
Rank = Annotated[int, Field(ge=1, strict=True)]
Year = Annotated[int, Field(ge=1900, le=2100, strict=True)]


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- request ---------------------------------------------------------------------------------


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


class ChampionIn(ContractModel):
    global_rank: Rank | None = None
    national_rank: Rank | None = None
    provincial_rank: Rank | None = None
    product_revenue_share: Ratio | None = None
    new_product: bool | None = None
    technology_leading: Literal["international", "domestic", "none"] | None = None
    profit_above_industry: bool | None = None
    energy_advanced: bool | None = None


class AwardIn(ContractModel):
    level: Literal["national", "provincial"]
    year: Year
    rank: Rank | None = None


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


class RecognitionIn(ContractModel):
    tier: Tier
    valid_until: date
    recognised_on: date | None = None  # addition: the date the title was granted (re-reviews)


class EvaluationScoreIn(ContractModel):
    year: Year
    score: Annotated[Decimal, BeforeValidator(_score)]


class ProfileIn(ContractModel):
    uscc: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    industry_code: str | None = Field(default=None, pattern=r"^[A-Ta-t]\d{0,4}$")
    sme: bool | None = None
    established_on: date | None = None
    niche_years: Count | None = None
    financials: list[FinancialYearIn] | None = Field(default=None, max_length=MAX_ITEMS)
    ip: IpIn | None = None
    rd_institution: RdInstitutionIn | None = None
    digital_level: Annotated[int, Field(ge=1, le=4, strict=True)] | None = None
    core_systems: list[Annotated[str, StringConstraints(max_length=32), TRIMMED, CLEAN]] | None = Field(
        default=None, max_length=MAX_ITEMS
    )
    quality: QualityIn | None = None
    management_certs: list[Label] | None = Field(default=None, max_length=MAX_ITEMS)
    product_certs: list[Annotated[str, StringConstraints(max_length=32), TRIMMED, CLEAN]] | None = Field(
        default=None, max_length=MAX_ITEMS
    )
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

    @field_validator("financials")
    @classmethod
    def _one_entry_per_year(cls, value: list[FinancialYearIn] | None) -> list[FinancialYearIn] | None:
        years = [entry.year for entry in value or []]
        if len(years) != len(set(years)):
            raise ValueError("each year may appear once in financials")
        return value


class EvaluateRequest(ContractModel):
    assessment_year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    tiers: list[Tier] | None = Field(default=None, min_length=1, max_length=10)
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


# --- response --------------------------------------------------------------------------------


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


# --- mapping ---------------------------------------------------------------------------------


def profile_to_facts(profile: ProfileIn) -> domain.Facts:
    def dump(model: BaseModel | None) -> dict[str, Any]:
        return model.model_dump() if model is not None else {}

    return domain.Facts(
        uscc=profile.uscc,
        industry_code=profile.industry_code,
        sme=profile.sme,
        established_on=profile.established_on,
        niche_years=profile.niche_years,
        financials=tuple(domain.FinancialYear(**f.model_dump()) for f in profile.financials or []),
        ip=domain.IntellectualProperty(**dump(profile.ip)) if profile.ip else None,
        rd_institution=domain.RdInstitution(**dump(profile.rd_institution)) if profile.rd_institution else None,
        digital_level=profile.digital_level,
        core_systems=_tuple(profile.core_systems),
        quality=domain.Quality(**dump(profile.quality)) if profile.quality else None,
        management_certs=_tuple(profile.management_certs),
        product_certs=_tuple(profile.product_certs),
        field=domain.ProductField(**dump(profile.field)) if profile.field else None,
        national_market_share=profile.national_market_share,
        champion=domain.Champion(**dump(profile.champion)) if profile.champion else None,
        awards=tuple(domain.Award(**a.model_dump()) for a in profile.awards or []),
        maker_china=tuple(domain.MakerChinaEntry(**m.model_dump()) for m in profile.maker_china or []),
        honours=tuple(domain.Honour(**h.model_dump()) for h in profile.honours or []),
        compliance=domain.Compliance(**dump(profile.compliance)) if profile.compliance else None,
        recognitions=tuple(domain.Recognition(**r.model_dump()) for r in profile.recognitions or []),
        province_features={k: v for k, v in (profile.province_features or {}).items() if v is not None},
        international_market_share=profile.international_market_share,
        market_position_attested=profile.market_position_attested,
        evaluation_scores=tuple(domain.EvaluationScore(s.year, s.score) for s in profile.evaluation_scores or []),
    )


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


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


def evaluate(request: EvaluateRequest, book: RuleBook | None = None) -> EvaluateResponse:
    """Answer the evaluate contract: one result per requested tier (all tiers if none), in order."""
    results = assess(
        profile_to_facts(request.profile),
        request.assessment_year,
        book=book,
        tiers=request.tiers,
        assessed_on=request.assessed_on,
        application=request.application,
    )
    return EvaluateResponse(assessment_year=request.assessment_year, results=[tier_result_out(r) for r in results])
