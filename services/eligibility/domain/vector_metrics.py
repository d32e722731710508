"""Vectorised metrics: the twins of `metrics.py`, over `FactsColumns`.

Numbers stay exact rationals: a `NumCol` is num/den with int64 arrays (money in fen over 100, a ratio
as its two amounts), and "value ≥ p/q" is decided as num·q ≥ p·den — no floating point on an edge.
The one quantity that does not fit in int64 is the mean of two growth rates (a sum of fractions with
different denominators: products of two amounts); it carries a float approximation with an error
bound, and only the rows whose approximation is within that bound of the threshold are decided
exactly with Python integers (`exact_rows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.columns import (
    MAX_MONEY_FEN,
    RATIO_SCALE,
    SCORE_SCALE,
    TIERS,
    FactsColumns,
)
from services.eligibility.domain.metric_catalogue import (
    AwardArgs,
    MakerChinaArgs,
    NationalAwardArgs,
    ProvinceFeatureArgs,
    RuleParameterArgs,
)
from services.eligibility.domain.metrics import day_number
from services.eligibility.domain.ruleset import SizeStandard
from services.eligibility.domain.vocabulary import (
    AWARD_LEVELS,
    CORE_SYSTEM_CODES,
    HONOUR_TYPES,
    INDUSTRY_CATEGORIES,
    MAKER_CHINA_GROUPS,
    NATIONAL_ST_AWARD_KINDS,
    PRODUCT_CERT_CODES,
    RD_INSTITUTION_LEVELS,
    TECHNOLOGY_LEADING,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
INT64_SAFE = 2**62


@dataclass
class NumCol:
    """Exact rational values (num/den, den > 0 where known), or an approximation with exact fallback."""

    known: BoolArray
    num: IntArray | None = None
    den: IntArray | int = 1
    approx: npt.NDArray[np.float64] | None = None
    error: npt.NDArray[np.float64] | None = None
    exact_rows: Callable[[IntArray], list[Fraction]] | None = None


@dataclass
class FlagCol:
    known: BoolArray
    value: BoolArray


@dataclass
class ChoiceCol:
    codes: npt.NDArray[Any]  # -1 unknown
    categories: tuple[Any, ...]


Col = NumCol | FlagCol | ChoiceCol


@dataclass(frozen=True)
class VectorContext:
    columns: FactsColumns
    size_standard: SizeStandard
    reference: date | None = None  # the assessment's reference date; None: 31 December of the year


VectorMetric = Callable[[VectorContext, int, Any], Col]


# --- exact comparison ------------------------------------------------------------------------


def _fits(array: IntArray | int, factor: int) -> bool:
    peak = int(np.max(np.abs(array))) if isinstance(array, np.ndarray) and array.size else abs(int(array))
    return peak * abs(factor) < INT64_SAFE


def _cross(num: IntArray, den: IntArray | int, target: Fraction) -> tuple[Any, Any]:
    """num·q and p·den, in int64 when that cannot overflow, else in Python integers (object arrays)."""
    p, q = target.numerator, target.denominator
    if _fits(num, q) and _fits(den, p):
        return num * np.int64(q), np.int64(p) * den
    wide_den = den.astype(object) if isinstance(den, np.ndarray) else den
    return num.astype(object) * q, p * wide_den


def compare(col: NumCol, target: Fraction, at_least: bool) -> BoolArray:
    """value ≥ target (at_least) or value ≤ target, exactly; meaningful where `col.known`."""
    if col.num is not None:
        left, right = _cross(col.num, col.den, target)
        result = (left >= right) if at_least else (left <= right)
        return np.asarray(result, dtype=bool) & col.known
    assert col.approx is not None and col.error is not None and col.exact_rows is not None
    difference = col.approx - float(target)
    result = (difference >= 0) if at_least else (difference <= 0)
    unsure = np.flatnonzero(col.known & (np.abs(difference) <= col.error))
    if unsure.size:
        exact = col.exact_rows(unsure)
        result[unsure] = [(v >= target) if at_least else (v <= target) for v in exact]
    return result & col.known


# --- building blocks -------------------------------------------------------------------------


def _money(name: str) -> VectorMetric:
    def metric(ctx: VectorContext, offset: int, _args: Any) -> Col:
        c = ctx.columns
        return NumCol(c.money_known[name][:, offset - 1], c.money[name][:, offset - 1], 100)

    return metric


def _count(name: str) -> VectorMetric:
    def metric(ctx: VectorContext, offset: int, _args: Any) -> Col:
        values = ctx.columns.counts[name][:, offset - 1]
        return NumCol(values >= 0, values, 1)

    return metric


def _amount(ctx: VectorContext, name: str, offset: int) -> tuple[BoolArray, IntArray]:
    c = ctx.columns
    if name in c.money:
        return c.money_known[name][:, offset - 1], c.money[name][:, offset - 1]
    values = c.counts[name][:, offset - 1]
    return values >= 0, values


def _ratio(top: str, bottom: str) -> VectorMetric:
    def metric(ctx: VectorContext, offset: int, _args: Any) -> Col:
        top_known, num = _amount(ctx, top, offset)
        bottom_known, den = _amount(ctx, bottom, offset)
        known = top_known & bottom_known & (den > 0)
        return NumCol(known, num, np.where(known, den, 1))

    return metric


def _growth_parts(ctx: VectorContext, offset: int) -> NumCol:
    current_known, current = _amount(ctx, "main_business_revenue", offset)
    base_known, base = _amount(ctx, "main_business_revenue", offset + 1)
    known = current_known & base_known & (base > 0)
    return NumCol(known, current - base, np.where(known, base, 1))


def _growth(ctx: VectorContext, offset: int, _args: Any) -> Col:
    return _growth_parts(ctx, offset)


def _cagr_factor(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    last_known, last = _amount(ctx, "operating_revenue", 1)
    base_known, base = _amount(ctx, "operating_revenue", 3)
    known = last_known & base_known & (base > 0) & (last >= 0)
    return NumCol(known, last, np.where(known, base, 1))


def _int(name: str) -> VectorMetric:
    def metric(ctx: VectorContext, _offset: int, _args: Any) -> Col:
        values = ctx.columns.ints[name]
        return NumCol(values >= 0, values, 1)

    return metric


def _fixed_ratio(name: str) -> VectorMetric:
    def metric(ctx: VectorContext, _offset: int, _args: Any) -> Col:
        values = ctx.columns.ratios[name]
        return NumCol(values >= 0, values, RATIO_SCALE)

    return metric


def _flag(name: str) -> VectorMetric:
    def metric(ctx: VectorContext, _offset: int, _args: Any) -> Col:
        values = ctx.columns.flags[name]
        return FlagCol(values >= 0, values == 1)

    return metric


def _always_known(values: BoolArray) -> FlagCol:
    return FlagCol(np.ones(values.shape, dtype=bool), values)


def _choice(name: str, vocabulary: tuple[str, ...]) -> VectorMetric:
    def metric(ctx: VectorContext, _offset: int, _args: Any) -> Col:
        return ChoiceCol(ctx.columns.choices[name], vocabulary)

    return metric


# --- derived facts ---------------------------------------------------------------------------


def _operating_years(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    established = ctx.columns.ints["established_year"]
    years = np.maximum(0, ctx.columns.assessment_year - 1 - established)
    return NumCol(established >= 0, years, 1)


def _industry_class(ctx: VectorContext) -> IntArray:
    """Index of the size class (len(classes) = `other`, -1 = no valid industry code), longest prefix wins."""
    standard = ctx.size_standard
    encoded = ctx.columns.ints["industry"]
    classes = np.where(encoded >= 0, len(standard.classes), -1)
    letter, padded, width = encoded // 100000, (encoded // 10) % 10000, encoded % 10
    prefixes = [(len(p), -i, i, p) for i, cls in enumerate(standard.classes) for p in cls.prefixes]
    # Shorter prefixes first so that longer ones overwrite them; on equal length the class listed
    # first is written last, as the scalar search keeps the first it finds.
    for _length, _order, index, prefix in sorted(prefixes):
        digits = prefix[1:]
        match = (encoded >= 0) & (letter == ord(prefix[0]) - ord("A")) & (width >= len(digits))
        if digits:
            match &= padded // 10 ** (4 - len(digits)) == int(digits)
        classes = np.where(match, index, classes)
    return classes


def _is_sme(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    c, standard = ctx.columns, ctx.size_standard
    declared = c.flags["sme"]
    classes = _industry_class(ctx)
    every = [*standard.classes, standard.other]
    any_true = np.zeros(c.size, dtype=bool)
    all_false = np.ones(c.size, dtype=bool)
    has_bound = np.zeros(c.size, dtype=bool)
    for attr, source in (
        ("employees_below", "employees"),
        ("revenue_below", "operating_revenue"),
        ("assets_below", "total_assets"),
    ):
        bounds = [getattr(cls, attr) for cls in every]
        scale = 1 if attr == "employees_below" else 100
        lookup = np.array([-1 if b is None else int(b * scale) for b in bounds], dtype=np.int64)
        bound = np.where(classes >= 0, lookup[np.maximum(classes, 0)], -1)
        known, value = _amount(ctx, source, 1)
        applies = bound >= 0
        has_bound |= applies
        reading_true = applies & known & (value < bound)
        any_true |= reading_true
        all_false &= ~applies | (known & ~reading_true)
    derived_known = (classes >= 0) & (any_true | (has_bound & all_false))
    known = (declared >= 0) | derived_known
    answer = np.where(declared >= 0, declared == 1, any_true)
    return FlagCol(known, answer)


def _award(ctx: VectorContext, offset: int, args: AwardArgs) -> Col:
    hit = np.zeros(ctx.columns.size, dtype=bool)
    for level in args.levels:
        ranks = ctx.columns.award_rank[:, AWARD_LEVELS.index(level), offset - 1]
        found = ranks > 0
        if args.max_rank is not None:
            found &= ranks <= args.max_rank
        hit |= found
    return _always_known(hit)


def _maker(ctx: VectorContext, offset: int, args: MakerChinaArgs) -> Col:
    mask = sum(1 << MAKER_CHINA_GROUPS.index(g) for g in set(args.groups))
    return _always_known((ctx.columns.maker_china[:, offset - 1] & mask) != 0)


def _bits_metric(name: str, vocabulary: tuple[Any, ...], field: str) -> VectorMetric:
    def metric(ctx: VectorContext, _offset: int, args: Any) -> Col:
        values = ctx.columns.ints[name]
        mask = sum(1 << vocabulary.index(w) for w in set(getattr(args, field)))
        return FlagCol(values >= 0, (values & mask) != 0)

    return metric


def _has_rd_institution(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    declared = ctx.columns.flags["rd_has_institution"]
    level = ctx.columns.choices["rd_institution_level"]
    none_code = RD_INSTITUTION_LEVELS.index("none")
    known = (declared >= 0) | (level >= 0)
    value = np.where(declared >= 0, declared == 1, (level >= 0) & (level != none_code))
    return FlagCol(known, value)


def _evaluation_score(ctx: VectorContext, offset: int, _args: Any) -> Col:
    c = ctx.columns
    return NumCol(c.scores_known[:, offset], c.scores[:, offset], SCORE_SCALE)


def _province_feature(ctx: VectorContext, _offset: int, args: ProvinceFeatureArgs) -> Col:
    feature = ctx.columns.province.get(args.key)
    if feature is None:
        return ChoiceCol(np.full(ctx.columns.size, -1, dtype=np.int16), ())
    return ChoiceCol(feature.codes, feature.categories)


def _national_st_award(ctx: VectorContext, _offset: int, args: NationalAwardArgs) -> Col:
    """The twin of metrics._national_st_award, over the award slots (same window arithmetic)."""
    c = ctx.columns
    slots = c.national_awards
    reference = day_number(ctx.reference or date(c.assessment_year, 12, 31))
    span = args.within_years * 10000
    ranked = (slots["rank"] > 0) & (slots["rank"] <= args.max_rank)
    kind_ok = (slots["kind"] >= 0) & (slots["kind"] < len(NATIONAL_ST_AWARD_KINDS))
    kind_possible = kind_ok | (slots["kind"] < 0)
    certificate, year = slots["certificate"], slots["year"]
    earliest = np.where(certificate >= 0, certificate, year * 10000 + 101)
    latest = np.where(certificate >= 0, certificate, year * 10000 + 1231)
    surely_in = (earliest + span >= reference) & (latest <= reference)
    surely_out = (latest + span < reference) | (earliest > reference)
    hit: BoolArray = np.asarray((ranked & kind_ok & surely_in).any(axis=1), dtype=bool)
    unsure: BoolArray = np.asarray((ranked & kind_possible & ~surely_out).any(axis=1), dtype=bool)
    return FlagCol(hit | ~unsure, hit)


def _rule_parameter(ctx: VectorContext, _offset: int, args: RuleParameterArgs) -> Col:
    return _always_known(np.full(ctx.columns.size, args.value, dtype=bool))


# --- combining years -------------------------------------------------------------------------


def combine_numbers(cols: list[NumCol], how: str, missing_as_zero: bool) -> NumCol:
    if how == "latest":
        return _latest(cols)
    known = np.logical_and.reduce([c.known for c in cols])
    if how == "sum" and missing_as_zero:
        known = np.ones_like(cols[0].known)
    dens = {c.den if isinstance(c.den, int) else None for c in cols}
    if len(dens) == 1 and None not in dens and all(c.num is not None for c in cols):
        den = next(iter(dens))
        assert den is not None
        total = sum(np.where(c.known, c.num, 0) for c in cols if c.num is not None)
        return NumCol(known, np.asarray(total, dtype=np.int64), den * (len(cols) if how == "mean" else 1))
    assert how == "mean", "only a mean may mix denominators (checked when the rules are loaded)"
    return _approximate_mean(cols, known)


def _approximate_mean(cols: list[NumCol], known: BoolArray) -> NumCol:
    terms = []
    for c in cols:
        assert c.num is not None
        terms.append(c.num.astype(np.float64) / np.asarray(c.den, dtype=np.float64))
    approx = sum(terms) / len(cols)
    # Each quotient is within 2^-52 of its true value relatively, the sum adds one rounding: a bound
    # of 1e-12 × (sum of magnitudes) is far above the real error and still leaves few rows to redo.
    error = 1e-12 * sum(np.abs(t) for t in terms) + 1e-300

    def exact_rows(rows: IntArray) -> list[Fraction]:
        values = []
        for row in rows.tolist():
            parts = [
                Fraction(int(c.num[row]), int(np.asarray(c.den)[row] if isinstance(c.den, np.ndarray) else c.den))
                for c in cols
                if c.num is not None
            ]
            values.append(sum(parts, Fraction(0)) / len(cols))
        return values

    return NumCol(known, None, 1, np.asarray(approx, dtype=np.float64), np.asarray(error), exact_rows)


def _latest(cols: list[NumCol]) -> NumCol:
    """Per row, the first known value in the order the offsets are listed (most recent first)."""
    known = np.zeros_like(cols[0].known)
    num = np.zeros(known.shape, dtype=np.int64)
    den = np.ones(known.shape, dtype=np.int64)
    for c in cols:
        assert c.num is not None
        take = c.known & ~known
        num = np.where(take, c.num, num)
        den = np.where(take, c.den, den)
        known |= c.known
    return NumCol(known, num, den)


def combine_flags(cols: list[FlagCol], how: str) -> FlagCol:
    """Kleene any / all; `latest` takes the first known year."""
    if how == "latest":
        known = np.zeros_like(cols[0].known)
        value = np.zeros_like(cols[0].value)
        for c in cols:
            take = c.known & ~known
            value = np.where(take, c.value, value)
            known |= c.known
        return FlagCol(known, value)
    decisive = how == "any"
    hit = np.logical_or.reduce([c.known & (c.value == decisive) for c in cols])
    all_known = np.logical_and.reduce([c.known for c in cols])
    return FlagCol(hit | all_known, np.where(hit, decisive, not decisive))


VECTOR_METRICS: dict[str, VectorMetric] = {
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
        )
    },
    "employees": _count("employees"),
    "rd_staff": _count("rd_staff"),
    "audited": lambda ctx, offset, _a: FlagCol(
        ctx.columns.audited[:, offset - 1] >= 0, ctx.columns.audited[:, offset - 1] == 1
    ),
    "rd_intensity": _ratio("rd_expense", "operating_revenue"),
    "main_business_share": _ratio("main_business_revenue", "operating_revenue"),
    "debt_ratio": _ratio("total_liabilities", "total_assets"),
    "net_profit_margin": _ratio("net_profit", "operating_revenue"),
    "rd_staff_ratio": _ratio("rd_staff", "employees"),
    "main_business_growth": _growth,
    "operating_revenue_cagr_2y": _cagr_factor,
    "niche_years": _int("niche_years"),
    "operating_years": _operating_years,
    "is_sme": _is_sme,
    **{
        name: _flag(name)
        for name in (
            "listed_abnormal_operation",
            "listed_serious_dishonesty",
            "major_accident_3y",
            "prohibited_products",
            "quality_provincial_award",
            "quality_system_certified",
            "own_brand",
            "standards_drafted",
            "field_strategic_emerging",
            "field_six_foundations",
            "field_ten_industries",
            "field_network_power",
            "field_chain_gap_filling",
            "field_time_honoured_brand",
            "field_serves_chain_leader",
            "champion_new_product",
            "champion_profit_above_industry",
            "champion_energy_advanced",
            "management_certified",
            "market_position_attested",
        )
    },
    **{
        name: _int(name)
        for name in (
            "ip_class1_high_value",
            "ip_class1_self_developed",
            "ip_class1",
            "ip_class2",
            "ip_invention_patents",
            "ip_class1_applied_main_product",
            "digital_level",
            "champion_global_rank",
            "champion_national_rank",
            "champion_provincial_rank",
        )
    },
    "rd_institution_level": _choice("rd_institution_level", RD_INSTITUTION_LEVELS),
    "has_rd_institution": _has_rd_institution,
    "core_systems_supported": _bits_metric("core_systems", CORE_SYSTEM_CODES, "accepted"),
    "developed_market_product_cert": _bits_metric("product_certs", PRODUCT_CERT_CODES, "accepted"),
    "national_market_share": _fixed_ratio("national_market_share"),
    "international_market_share": _fixed_ratio("international_market_share"),
    "champion_product_revenue_share": _fixed_ratio("champion_product_revenue_share"),
    "champion_technology_leading": _choice("champion_technology_leading", TECHNOLOGY_LEADING),
    "award_received": _award,
    "maker_china_selected": _maker,
    "honour_valid": _bits_metric("honours", HONOUR_TYPES, "types"),
    "recognition_valid": _bits_metric("recognitions", TIERS, "tiers"),
    "evaluation_score": _evaluation_score,
    "province_feature": _province_feature,
    # 2026 readings checked against annex quotations
    "ip_class1_main_product_own": _int("ip_class1_main_product_own"),
    "ip_class1_main_product_own_top3": _int("ip_class1_main_product_own_top3"),
    "field_industry_category": _choice("field_industry_category", INDUSTRY_CATEGORIES),
    **{
        name: _flag(name)
        for name in (
            "field_key_chain_link",
            "data_falsification_3y",
            "champion_revenue_leading",
            "champion_profit_leading",
            "renown_attested",
            "group_little_giant_similar",
        )
    },
    "national_st_award": _national_st_award,
    "rule_parameter": _rule_parameter,
}

assert MAX_MONEY_FEN * 10**4 < INT64_SAFE  # money × a threshold denominator stays exact in int64
