"""Scalar metrics: one enterprise's facts → one exact value (a `Fraction`, flag or choice).

Every function returns a `Measured`: the value, or `None` with the reason it is unknown ("not
supplied", "base year is zero" …). Nothing here raises on missing or odd data; the rules decide what
an unknown value means. The vectorised twins of these functions are in `vector_metrics.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from services.eligibility.domain.facts import Facts, FinancialYear
from services.eligibility.domain.metric_catalogue import (
    CATALOGUE,
    AwardArgs,
    CoreSystemArgs,
    HonourArgs,
    MakerChinaArgs,
    MetricArgs,
    NationalAwardArgs,
    ProductCertArgs,
    ProvinceFeatureArgs,
    RecognitionArgs,
    RuleParameterArgs,
)
from services.eligibility.domain.ruleset import SizeClass, SizeStandard
from services.eligibility.domain.text import NOT_SUPPLIED, Text
from services.eligibility.domain.vocabulary import NATIONAL_ST_AWARD_KINDS

Value = Fraction | bool | str | int


@dataclass(frozen=True, slots=True)
class Measured:
    value: Value | None
    missing: Text | None = None

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Context:
    assessment_year: int
    size_standard: SizeStandard
    reference: date | None = None  # the assessment's reference date; None: 31 December of the year

    @property
    def on(self) -> date:
        return self.reference or date(self.assessment_year, 12, 31)


ScalarMetric = Callable[[Facts, Context, int, Any], Measured]


def unknown(reason: Text) -> Measured:
    return Measured(None, reason)


def not_supplied(what: Text) -> Measured:
    return unknown(Text(f"{NOT_SUPPLIED.zh}：{what.zh}", f"{NOT_SUPPLIED.en}: {what.en}"))


def _year_of(facts: Facts, ctx: Context, offset: int) -> tuple[int, FinancialYear | None]:
    year = ctx.assessment_year - offset
    return year, facts.year(year)


def _amount(facts: Facts, ctx: Context, offset: int, attr: str) -> Measured:
    year, entry = _year_of(facts, ctx, offset)
    value = getattr(entry, attr) if entry is not None else None
    if value is None:
        label = CATALOGUE[attr].label
        return not_supplied(Text(f"{year}年{label.zh}", f"{label.en} for {year}"))
    return Measured(Fraction(value))


def _money(attr: str) -> ScalarMetric:
    return lambda facts, ctx, offset, _args: _amount(facts, ctx, offset, attr)


def _ratio(numerator: str, denominator: str) -> ScalarMetric:
    def measure(facts: Facts, ctx: Context, offset: int, _args: Any) -> Measured:
        top = _amount(facts, ctx, offset, numerator)
        bottom = _amount(facts, ctx, offset, denominator)
        if not top.known:
            return top
        if not bottom.known:
            return bottom
        assert isinstance(top.value, Fraction) and isinstance(bottom.value, Fraction)
        if bottom.value <= 0:
            label = CATALOGUE[denominator].label
            year = ctx.assessment_year - offset
            return unknown(
                Text(
                    f"{year}年{label.zh}为零或负数，比值无法计算",
                    f"{label.en} for {year} is zero or negative: the ratio is undefined",
                )
            )
        return Measured(top.value / bottom.value)

    return measure


def _growth(facts: Facts, ctx: Context, offset: int, _args: Any) -> Measured:
    current = _amount(facts, ctx, offset, "main_business_revenue")
    base = _amount(facts, ctx, offset + 1, "main_business_revenue")
    if not current.known:
        return current
    if not base.known:
        return base
    assert isinstance(current.value, Fraction) and isinstance(base.value, Fraction)
    if base.value <= 0:
        year = ctx.assessment_year - offset - 1
        return unknown(
            Text(
                f"基年（{year}年）主营业务收入为零或负数，增长率无法计算，计0分",
                f"base year {year} main business revenue is zero or negative: growth undefined",
            )
        )
    return Measured((current.value - base.value) / base.value)


def _cagr_factor(facts: Facts, ctx: Context, _offset: int, _args: Any) -> Measured:
    """R1/R3 of operating revenue; the rule's threshold t is compared as (1+t)²."""
    last = _amount(facts, ctx, 1, "operating_revenue")
    base = _amount(facts, ctx, 3, "operating_revenue")
    if not last.known:
        return last
    if not base.known:
        return base
    assert isinstance(last.value, Fraction) and isinstance(base.value, Fraction)
    if base.value <= 0 or last.value < 0:
        year = ctx.assessment_year - 3
        return unknown(
            Text(
                f"基年（{year}年）营业收入为零或负数，复合增长率无法计算",
                f"base year {year} operating revenue is zero or negative: growth undefined",
            )
        )
    return Measured(last.value / base.value)


def _count(getter: Callable[[Facts], int | None], what: str) -> ScalarMetric:
    def measure(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
        value = getter(facts)
        return not_supplied(CATALOGUE[what].label) if value is None else Measured(Fraction(value))

    return measure


def _flag(getter: Callable[[Facts], bool | None], what: str) -> ScalarMetric:
    def measure(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
        value = getter(facts)
        return not_supplied(CATALOGUE[what].label) if value is None else Measured(bool(value))

    return measure


def _ratio_fact(getter: Callable[[Facts], Any], what: str) -> ScalarMetric:
    def measure(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
        value = getter(facts)
        return not_supplied(CATALOGUE[what].label) if value is None else Measured(Fraction(value))

    return measure


def _operating_years(facts: Facts, ctx: Context, _offset: int, _args: Any) -> Measured:
    if facts.established_on is None:
        return not_supplied(Text("成立日期", "date of establishment"))
    # Full years from establishment to 31 December of last year: that date is never before the
    # anniversary within its own year, so the count is a difference of years.
    return Measured(Fraction(max(0, ctx.assessment_year - 1 - facts.established_on.year)))


INDUSTRY_CODE = re.compile(r"^([A-T])(\d{0,4})$")


def parse_industry_code(code: str | None) -> tuple[str, str] | None:
    """GB/T 4754 code → (section letter, digits); None if it is not a code."""
    if code is None:
        return None
    match = INDUSTRY_CODE.match(code.strip().upper())
    return (match.group(1), match.group(2)) if match else None


def size_class(standard: SizeStandard, parsed: tuple[str, str]) -> SizeClass:
    """The class whose longest prefix matches (startswith semantics on letter + digits)."""
    code = parsed[0] + parsed[1]
    best: SizeClass | None = None
    best_length = -1
    for candidate in standard.classes:
        for prefix in candidate.prefixes:
            if code.startswith(prefix) and len(prefix) > best_length:
                best, best_length = candidate, len(prefix)
    return best if best is not None else standard.other


def _is_sme(facts: Facts, ctx: Context, _offset: int, _args: Any) -> Measured:
    if facts.sme is not None:
        return Measured(facts.sme)
    parsed = parse_industry_code(facts.industry_code)
    if parsed is None:
        return not_supplied(
            Text("是否中小企业，或用于划型的行业代码", "the SME flag, or an industry code to derive it")
        )
    cls = size_class(ctx.size_standard, parsed)
    entry = facts.year(ctx.assessment_year - 1)
    readings: list[bool | None] = []
    for bound, attr in (
        (cls.employees_below, "employees"),
        (cls.revenue_below, "operating_revenue"),
        (cls.assets_below, "total_assets"),
    ):
        if bound is None:
            continue
        value = getattr(entry, attr) if entry is not None else None
        readings.append(None if value is None else Fraction(value) < Fraction(bound))
    if any(r is True for r in readings):
        return Measured(True)
    if readings and all(r is False for r in readings):
        return Measured(False)
    return not_supplied(
        Text(
            f"划型所需的上年从业人员、营业收入或资产总额（{cls.label.zh}）",
            f"last year's employees, revenue or assets for the size class ({cls.label.en})",
        )
    )


def _first_of_year(assessment_year: int) -> date:
    return date(assessment_year, 1, 1)


def _award(facts: Facts, ctx: Context, offset: int, args: AwardArgs) -> Measured:
    year = ctx.assessment_year - offset
    hit = any(
        a.year == year
        and a.level in args.levels
        and (args.max_rank is None or (a.rank is not None and a.rank <= args.max_rank))
        for a in facts.awards
    )
    return Measured(hit)


def _maker(facts: Facts, ctx: Context, offset: int, args: MakerChinaArgs) -> Measured:
    year = ctx.assessment_year - offset
    return Measured(any(m.year == year and m.group in args.groups for m in facts.maker_china))


def _honour(facts: Facts, ctx: Context, _offset: int, args: HonourArgs) -> Measured:
    start = _first_of_year(ctx.assessment_year)
    return Measured(any(h.type in args.types and h.valid_until >= start for h in facts.honours))


def _recognition(facts: Facts, ctx: Context, _offset: int, args: RecognitionArgs) -> Measured:
    start = _first_of_year(ctx.assessment_year)
    return Measured(any(r.tier in args.tiers and r.valid_until >= start for r in facts.recognitions))


def _codes_in(codes: tuple[str, ...] | None, accepted: list[str], what: str) -> Measured:
    if codes is None:
        return not_supplied(CATALOGUE[what].label)
    return Measured(any(code.strip().upper() in accepted for code in codes))


def _core_systems(facts: Facts, _ctx: Context, _offset: int, args: CoreSystemArgs) -> Measured:
    return _codes_in(facts.core_systems, list(args.accepted), "core_systems_supported")


def _product_cert(facts: Facts, _ctx: Context, _offset: int, args: ProductCertArgs) -> Measured:
    return _codes_in(facts.product_certs, list(args.accepted), "developed_market_product_cert")


def _management_certified(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
    if facts.management_certs is None:
        return not_supplied(CATALOGUE["management_certified"].label)
    return Measured(any(c.strip() for c in facts.management_certs))


def _has_rd_institution(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
    institution = facts.rd_institution
    if institution is not None and institution.has_institution is not None:
        return Measured(institution.has_institution)
    if institution is not None and institution.level is not None:
        return Measured(institution.level != "none")
    return not_supplied(CATALOGUE["has_rd_institution"].label)


def _choice(getter: Callable[[Facts], str | None], what: str) -> ScalarMetric:
    def measure(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
        value = getter(facts)
        return not_supplied(CATALOGUE[what].label) if value is None else Measured(value)

    return measure


def _field_named(attr: str, what: str) -> ScalarMetric:
    """The contract's null means "not in any of those fields" — once the field block is supplied."""

    def measure(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
        if facts.field is None:
            return not_supplied(CATALOGUE[what].label)
        return Measured(getattr(facts.field, attr) is not None)

    return measure


def _evaluation_score(facts: Facts, ctx: Context, offset: int, _args: Any) -> Measured:
    year = ctx.assessment_year - offset
    for entry in facts.evaluation_scores:
        if entry.year == year:
            return Measured(Fraction(entry.score))
    label = CATALOGUE["evaluation_score"].label
    return not_supplied(
        Text(f"{year}年{label.zh}（尚未公布或未提供）", f"{label.en} for {year} (not published or not supplied)")
    )


def _province_feature(facts: Facts, _ctx: Context, _offset: int, args: ProvinceFeatureArgs) -> Measured:
    value = facts.province_features.get(args.key)
    if value is None:
        return not_supplied(Text(f"省级特色指标事实 {args.key}", f"province-defined fact {args.key}"))
    return Measured(value)


def _ip(attr: str) -> Callable[[Facts], int | None]:
    return lambda f: getattr(f.ip, attr) if f.ip is not None else None


def _quality(attr: str) -> Callable[[Facts], bool | None]:
    return lambda f: getattr(f.quality, attr) if f.quality is not None else None


def _field_flag(attr: str) -> Callable[[Facts], bool | None]:
    return lambda f: getattr(f.field, attr) if f.field is not None else None


def _champion(attr: str) -> Callable[[Facts], Any]:
    return lambda f: getattr(f.champion, attr) if f.champion is not None else None


def _compliance(attr: str) -> Callable[[Facts], bool | None]:
    return lambda f: getattr(f.compliance, attr) if f.compliance is not None else None


def day_number(day: date) -> int:
    """yyyymmdd as an integer: adding n years is + n·10000, and a 29 February that does not exist in the
    later year compares as its 28 February would."""
    return day.year * 10000 + day.month * 100 + day.day


def award_window(year: int, certificate: date | None, on: date, within_years: int) -> bool | None:
    """Whether an award counts on `on`: certified on or before it, at most `within_years` before it.
    With only the award's year, None when the answer depends on the unknown day."""
    reference, span = day_number(on), within_years * 10000
    earliest, latest = (
        (day_number(certificate),) * 2 if certificate is not None else (year * 10000 + 101, year * 10000 + 1231)
    )
    if earliest + span >= reference and latest <= reference:
        return True
    if latest + span < reference or earliest > reference:
        return False
    return None


def _national_st_award(facts: Facts, ctx: Context, _offset: int, args: NationalAwardArgs) -> Measured:
    unsure: Text | None = None
    for award in facts.awards:
        if award.level != "national" or award.rank is None or award.rank > args.max_rank:
            continue
        if award.kind is not None and award.kind not in NATIONAL_ST_AWARD_KINDS:
            continue
        within = award_window(award.year, award.certificate_date, ctx.on, args.within_years)
        if within is True and award.kind is not None:
            return Measured(True)
        if within is not False and unsure is None:
            what = "奖项类别" if award.kind is None else "证书日期"
            what_en = "its kind" if award.kind is None else "its certificate date"
            unsure = Text(
                f"{NOT_SUPPLIED.zh}：{award.year}年国家级科技奖励的{what}",
                f"{NOT_SUPPLIED.en}: {what_en}, for the {award.year} national S&T award",
            )
    return unknown(unsure) if unsure is not None else Measured(False)


def _rule_parameter(_facts: Facts, _ctx: Context, _offset: int, args: RuleParameterArgs) -> Measured:
    return Measured(args.value)


SCALAR_METRICS: dict[str, ScalarMetric] = {
    **{
        name: _money(name)
        for name in (
            "operating_revenue",
            "main_business_revenue",
            "rd_expense",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "new_equity_financing",
            "employees",
            "rd_staff",
        )
    },
    "audited": lambda f, c, o, a: _audited(f, c, o),
    "rd_intensity": _ratio("rd_expense", "operating_revenue"),
    "main_business_share": _ratio("main_business_revenue", "operating_revenue"),
    "debt_ratio": _ratio("total_liabilities", "total_assets"),
    "net_profit_margin": _ratio("net_profit", "operating_revenue"),
    "rd_staff_ratio": _ratio("rd_staff", "employees"),
    "main_business_growth": _growth,
    "operating_revenue_cagr_2y": _cagr_factor,
    "niche_years": _count(lambda f: f.niche_years, "niche_years"),
    "operating_years": _operating_years,
    "is_sme": _is_sme,
    "listed_abnormal_operation": _flag(_compliance("abnormal_operation_list"), "listed_abnormal_operation"),
    "listed_serious_dishonesty": _flag(_compliance("serious_dishonesty_list"), "listed_serious_dishonesty"),
    "major_accident_3y": _flag(_compliance("major_accident_3y"), "major_accident_3y"),
    "prohibited_products": _flag(_compliance("prohibited_products"), "prohibited_products"),
    "ip_class1_high_value": _count(_ip("class1_high_value"), "ip_class1_high_value"),
    "ip_class1_self_developed": _count(_ip("class1_self_developed"), "ip_class1_self_developed"),
    "ip_class1": _count(_ip("class1"), "ip_class1"),
    "ip_class2": _count(_ip("class2"), "ip_class2"),
    "ip_invention_patents": _count(_ip("invention_patents"), "ip_invention_patents"),
    "ip_class1_applied_main_product": _count(_ip("class1_applied_main_product"), "ip_class1_applied_main_product"),
    "rd_institution_level": _choice(
        lambda f: f.rd_institution.level if f.rd_institution else None, "rd_institution_level"
    ),
    "has_rd_institution": _has_rd_institution,
    "digital_level": _count(lambda f: f.digital_level, "digital_level"),
    "core_systems_supported": _core_systems,
    "management_certified": _management_certified,
    "developed_market_product_cert": _product_cert,
    "quality_provincial_award": _flag(_quality("provincial_quality_award"), "quality_provincial_award"),
    "quality_system_certified": _flag(_quality("quality_system_certified"), "quality_system_certified"),
    "own_brand": _flag(_quality("own_brand"), "own_brand"),
    "standards_drafted": _flag(_quality("standards_drafted"), "standards_drafted"),
    "field_strategic_emerging": _flag(_field_flag("strategic_emerging"), "field_strategic_emerging"),
    "field_six_foundations": _field_named("six_foundations", "field_six_foundations"),
    "field_ten_industries": _field_named("ten_industries", "field_ten_industries"),
    "field_network_power": _field_named("network_power", "field_network_power"),
    "field_chain_gap_filling": _flag(_field_flag("chain_gap_filling"), "field_chain_gap_filling"),
    "field_time_honoured_brand": _flag(_field_flag("time_honoured_brand"), "field_time_honoured_brand"),
    "field_serves_chain_leader": _flag(_field_flag("serves_chain_leader"), "field_serves_chain_leader"),
    "national_market_share": _ratio_fact(lambda f: f.national_market_share, "national_market_share"),
    "international_market_share": _ratio_fact(lambda f: f.international_market_share, "international_market_share"),
    "champion_global_rank": _count(_champion("global_rank"), "champion_global_rank"),
    "champion_national_rank": _count(_champion("national_rank"), "champion_national_rank"),
    "champion_provincial_rank": _count(_champion("provincial_rank"), "champion_provincial_rank"),
    "champion_product_revenue_share": _ratio_fact(_champion("product_revenue_share"), "champion_product_revenue_share"),
    "champion_new_product": _flag(_champion("new_product"), "champion_new_product"),
    "champion_technology_leading": _choice(_champion("technology_leading"), "champion_technology_leading"),
    "champion_profit_above_industry": _flag(_champion("profit_above_industry"), "champion_profit_above_industry"),
    "champion_energy_advanced": _flag(_champion("energy_advanced"), "champion_energy_advanced"),
    "award_received": _award,
    "maker_china_selected": _maker,
    "honour_valid": _honour,
    "recognition_valid": _recognition,
    "evaluation_score": _evaluation_score,
    "market_position_attested": _flag(lambda f: f.market_position_attested, "market_position_attested"),
    "province_feature": _province_feature,
    # 2026 readings checked against annex quotations
    "ip_class1_main_product_own": _count(_ip("class1_main_product_own"), "ip_class1_main_product_own"),
    "ip_class1_main_product_own_top3": _count(_ip("class1_main_product_own_top3"), "ip_class1_main_product_own_top3"),
    "field_industry_category": _choice(
        lambda f: f.field.industry_category if f.field else None, "field_industry_category"
    ),
    "field_key_chain_link": _flag(_field_flag("key_chain_link"), "field_key_chain_link"),
    "national_st_award": _national_st_award,
    "data_falsification_3y": _flag(_compliance("data_falsification_3y"), "data_falsification_3y"),
    "champion_revenue_leading": _flag(_champion("revenue_leading"), "champion_revenue_leading"),
    "champion_profit_leading": _flag(_champion("profit_leading"), "champion_profit_leading"),
    "renown_attested": _flag(lambda f: f.renown_attested, "renown_attested"),
    "group_little_giant_similar": _flag(lambda f: f.group_little_giant_similar, "group_little_giant_similar"),
    "rule_parameter": _rule_parameter,
}


def _audited(facts: Facts, ctx: Context, offset: int) -> Measured:
    year, entry = _year_of(facts, ctx, offset)
    if entry is None or entry.audited is None:
        return not_supplied(
            Text(f"{year}年财务报表是否经审计并报备", f"whether the {year} statements were audited and filed")
        )
    return Measured(entry.audited)


def parse_args(metric: str, raw: dict[str, Any]) -> MetricArgs | None:
    model = CATALOGUE[metric].args
    return model.model_validate(raw) if model is not None else None


def measure(facts: Facts, ctx: Context, metric: str, offset: int, args: MetricArgs | None) -> Measured:
    return SCALAR_METRICS[metric](facts, ctx, offset, args)
