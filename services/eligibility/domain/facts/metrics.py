"""Every metric a rule file may name — each declared once: its name, kind, unit, label, years, and the
facts it reads and how (a reader from `readers.py`, or both sides of a custom one written side by side).

From these declarations come `CATALOGUE` (what the loader accepts), `SCALAR_METRICS` (one enterprise,
exact `Fraction`s), `VECTOR_METRICS` (numpy columns, exact integer cross-multiplication) and the
column layout of the batch path (`columns/layout.py`). A property test holds the two sides equal.

To add a metric: declare it here with the reader that fits (or a `Custom` with both sides); name it
in a rule file. Nothing else lists metrics.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np

from services.eligibility.domain.facts.catalogue import (
    FINANCIAL_OFFSETS,
    GROWTH_OFFSETS,
    SCORE_OFFSETS,
    AwardArgs,
    CoreSystemArgs,
    HonourArgs,
    MakerChinaArgs,
    MetricArgs,
    MetricSpec,
    ProductCertArgs,
    ProvinceFeatureArgs,
    RecognitionArgs,
)
from services.eligibility.domain.facts.industry import decode_industry, encode_industry, parse_industry_code, size_class
from services.eligibility.domain.facts.measured import Context, Measured, both, not_supplied, unknown
from services.eligibility.domain.facts.model import Facts, Honour, Recognition
from services.eligibility.domain.facts.readers import (
    SCORE_SCALE,
    Choice,
    CodesIn,
    Column,
    Count,
    Custom,
    Flag,
    HeldOnJanuaryFirst,
    Ratio,
    Reader,
    Share,
    VectorContext,
    YearAmount,
    from_tri,
    tri,
)
from services.eligibility.domain.facts.values import ChoiceCol, Col, FlagCol, IntArray, NumCol
from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import (
    AWARD_LEVELS,
    CORE_SYSTEM_CODES,
    HONOUR_TYPES,
    MAKER_CHINA_GROUPS,
    PRODUCT_CERT_CODES,
    RD_INSTITUTION_LEVELS,
    TECHNOLOGY_LEADING,
    Tier,
)

TIERS = tuple(Tier)
DECLARED: list[Reader] = []


def metric(name: str, kind: str, unit: str, zh: str, en: str, reads: Reader, **extra: Any) -> Any:
    """Declare one metric; returns its bound reader (so that other declarations can read it)."""
    spec = MetricSpec(name, kind, unit, Text(zh, en), **extra)  # type: ignore[arg-type]
    DECLARED.append(reads.bind(spec))
    return reads


_F = FINANCIAL_OFFSETS

# --- financial years -------------------------------------------------------------------------

operating_revenue: YearAmount = metric(
    "operating_revenue", "number", "money", "营业收入", "operating revenue", YearAmount(), offsets=_F
)
main_business_revenue: YearAmount = metric(
    "main_business_revenue", "number", "money", "主营业务收入", "main business revenue", YearAmount(), offsets=_F
)
rd_expense: YearAmount = metric("rd_expense", "number", "money", "研发费用", "R&D expense", YearAmount(), offsets=_F)
net_profit: YearAmount = metric("net_profit", "number", "money", "净利润", "net profit", YearAmount(), offsets=_F)
total_assets: YearAmount = metric(
    "total_assets", "number", "money", "资产总额", "total assets", YearAmount(), offsets=_F
)
total_liabilities: YearAmount = metric(
    "total_liabilities", "number", "money", "负债总额", "total liabilities", YearAmount(), offsets=_F
)
metric(
    "new_equity_financing",
    "number",
    "money",
    "新增股权融资（合格机构投资者实缴）",
    "new equity financing (qualified investors, paid-in)",
    YearAmount(),
    offsets=_F,
    # "the last 2 years' new equity financing sums the entries of those years": a year without an
    # entry adds nothing instead of making the sum unknown.
    missing_as_zero_in_sum=True,
)
employees: YearAmount = metric("employees", "number", "count", "从业人员", "employees", YearAmount(), offsets=_F)
rd_staff: YearAmount = metric("rd_staff", "number", "count", "研发人员", "R&D staff", YearAmount(), offsets=_F)


def _audited_scalar(facts: Facts, ctx: Context, offset: int, _args: Any) -> Measured:
    year = ctx.assessment_year - offset
    entry = facts.year(year)
    if entry is None or entry.audited is None:
        return not_supplied(
            Text(f"{year}年财务报表是否经审计并报备", f"whether the {year} statements were audited and filed")
        )
    return Measured(entry.audited)


def _audited_vector(ctx: VectorContext, offset: int, _args: Any) -> Col:
    audited = ctx.columns.audited[:, offset - 1]
    return FlagCol(audited >= 0, audited == 1)


metric(
    "audited",
    "flag",
    "none",
    "财务报表经审计并报备",
    "statements audited and filed",
    Custom(_audited_scalar, _audited_vector),
    offsets=_F,
)
metric(
    "rd_intensity",
    "number",
    "ratio",
    "研发投入强度（研发费用÷营业收入）",
    "R&D intensity (R&D expense ÷ operating revenue)",
    Ratio(rd_expense, operating_revenue),
    offsets=_F,
)
metric(
    "main_business_share",
    "number",
    "ratio",
    "主营业务收入占营业收入比重",
    "main business share of operating revenue",
    Ratio(main_business_revenue, operating_revenue),
    offsets=_F,
)
metric("debt_ratio", "number", "ratio", "资产负债率", "debt ratio", Ratio(total_liabilities, total_assets), offsets=_F)
metric(
    "net_profit_margin", "number", "ratio", "净利润率", "net profit margin", Ratio(net_profit, operating_revenue),
    offsets=_F,
)  # fmt: skip
metric(
    "rd_staff_ratio", "number", "ratio", "研发人员占职工总数比重", "R&D staff share of employees",
    Ratio(rd_staff, employees), offsets=_F,
)  # fmt: skip


def _growth_scalar(facts: Facts, ctx: Context, offset: int, _args: Any) -> Measured:
    pair = both(
        main_business_revenue.measured(facts, ctx, offset), main_business_revenue.measured(facts, ctx, offset + 1)
    )
    if isinstance(pair, Measured):
        return pair
    current, base = pair
    if base <= 0:
        year = ctx.assessment_year - offset - 1
        return unknown(
            Text(
                f"基年（{year}年）主营业务收入为零或负数，增长率无法计算，计0分",
                f"base year {year} main business revenue is zero or negative: growth undefined",
            )
        )
    return Measured((current - base) / base)


def _growth_vector(ctx: VectorContext, offset: int, _args: Any) -> Col:
    current_known, current = main_business_revenue.known_values(ctx, offset)
    base_known, base = main_business_revenue.known_values(ctx, offset + 1)
    known = current_known & base_known & (base > 0)
    return NumCol(known, current - base, np.where(known, base, 1))


metric(
    "main_business_growth",
    "number",
    "ratio",
    "主营业务收入增长率",
    "main business revenue growth",
    Custom(_growth_scalar, _growth_vector),
    offsets=GROWTH_OFFSETS,
)


def _cagr_scalar(facts: Facts, ctx: Context, _offset: int, _args: Any) -> Measured:
    """R1/R3 of operating revenue; the rule's threshold t is compared as (1+t)²."""
    pair = both(operating_revenue.measured(facts, ctx, 1), operating_revenue.measured(facts, ctx, 3))
    if isinstance(pair, Measured):
        return pair
    last, base = pair
    if base <= 0 or last < 0:
        year = ctx.assessment_year - 3
        return unknown(
            Text(
                f"基年（{year}年）营业收入为零或负数，复合增长率无法计算",
                f"base year {year} operating revenue is zero or negative: growth undefined",
            )
        )
    return Measured(last / base)


def _cagr_vector(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    last_known, last = operating_revenue.known_values(ctx, 1)
    base_known, base = operating_revenue.known_values(ctx, 3)
    known = last_known & base_known & (base > 0) & (last >= 0)
    return NumCol(known, last, np.where(known, base, 1))


metric(
    "operating_revenue_cagr_2y",
    "number",
    "growth_factor",
    "近2年营业收入复合增长率",
    "2-year compound operating revenue growth",
    Custom(_cagr_scalar, _cagr_vector),
)

# --- the enterprise --------------------------------------------------------------------------

metric("niche_years", "number", "years", "从事特定细分市场年限", "years in the niche market", Count("niche_years"))

ESTABLISHED = Column(
    "ints",
    "established_year",
    "established_on",
    lambda d, _y: -1 if d is None else d.year,
    lambda v, _y: None if v < 0 else date(v, 6, 1),
)


def _operating_years_scalar(facts: Facts, ctx: Context, _offset: int, _args: Any) -> Measured:
    if facts.established_on is None:
        return not_supplied(Text("成立日期", "date of establishment"))
    # Full years from establishment to 31 December of last year: that date is never before the
    # anniversary within its own year, so the count is a difference of years.
    return Measured(Fraction(max(0, ctx.assessment_year - 1 - facts.established_on.year)))


def _operating_years_vector(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    established = ctx.columns.ints["established_year"]
    years = np.maximum(0, ctx.columns.assessment_year - 1 - established)
    return NumCol(established >= 0, years, 1)


metric(
    "operating_years",
    "number",
    "years",
    "持续经营年限",
    "years in operation",
    Custom(_operating_years_scalar, _operating_years_vector, (ESTABLISHED,)),
)

SME_DECLARED = Column("flags", "sme", "sme", lambda v, _y: tri(v), from_tri)
INDUSTRY = Column(
    "ints", "industry", "industry_code", lambda v, _y: encode_industry(v), lambda v, _y: decode_industry(v)
)
# The size standard's bounds and the facts they read (last year's).
SIZE_BOUNDS: tuple[tuple[str, YearAmount], ...] = (
    ("employees_below", employees),
    ("revenue_below", operating_revenue),
    ("assets_below", total_assets),
)


def _is_sme_scalar(facts: Facts, ctx: Context, _offset: int, _args: Any) -> Measured:
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
    for bound_name, amount in SIZE_BOUNDS:
        bound = getattr(cls, bound_name)
        if bound is None:
            continue
        value = getattr(entry, amount.name) if entry is not None else None
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


def _is_sme_vector(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    c, standard = ctx.columns, ctx.size_standard
    declared = c.flags["sme"]
    classes = _industry_class(ctx)
    every = [*standard.classes, standard.other]
    any_true = np.zeros(c.size, dtype=bool)
    all_false = np.ones(c.size, dtype=bool)
    has_bound = np.zeros(c.size, dtype=bool)
    for bound_name, amount in SIZE_BOUNDS:
        bounds = [getattr(cls, bound_name) for cls in every]
        scale = 100 if amount.spec.unit == "money" else 1
        lookup = np.array([-1 if b is None else int(b * scale) for b in bounds], dtype=np.int64)
        bound = np.where(classes >= 0, lookup[np.maximum(classes, 0)], -1)
        known, value = amount.known_values(ctx, 1)
        applies = bound >= 0
        has_bound |= applies
        reading_true = applies & known & (value < bound)
        any_true |= reading_true
        all_false &= ~applies | (known & ~reading_true)
    derived_known = (classes >= 0) & (any_true | (has_bound & all_false))
    known = (declared >= 0) | derived_known
    answer = np.where(declared >= 0, declared == 1, any_true)
    return FlagCol(known, answer)


metric(
    "is_sme",
    "flag",
    "none",
    "属于中小企业（中小企业划型标准）",
    "an SME (SME size standard)",
    Custom(_is_sme_scalar, _is_sme_vector, (SME_DECLARED, INDUSTRY)),
)
metric(
    "listed_abnormal_operation", "flag", "none", "列入经营异常名录", "on the abnormal-operation list",
    Flag("compliance.abnormal_operation_list"),
)  # fmt: skip
metric(
    "listed_serious_dishonesty", "flag", "none", "列入严重失信主体名单", "on the serious-dishonesty list",
    Flag("compliance.serious_dishonesty_list"),
)  # fmt: skip
metric(
    "major_accident_3y",
    "flag",
    "none",
    "近三年发生重大安全、质量、环境事故或偷漏税",
    "major safety, quality or environmental accident, or tax evasion, in 3 years",
    Flag("compliance.major_accident_3y"),
)
metric(
    "prohibited_products",
    "flag",
    "none",
    "产品属于禁止、限制或淘汰类",
    "products in the prohibited, restricted or obsolete catalogues",
    Flag("compliance.prohibited_products"),
)

# --- intellectual property, R&D, digitalisation, quality --------------------------------------

metric(
    "ip_class1_high_value",
    "number",
    "count",
    "高价值Ⅰ类知识产权",
    "high-value Class I IP",
    Count("ip.class1_high_value"),
)
metric(
    "ip_class1_self_developed", "number", "count", "自主研发Ⅰ类知识产权", "self-developed Class I IP",
    Count("ip.class1_self_developed"),
)  # fmt: skip
metric("ip_class1", "number", "count", "Ⅰ类知识产权", "Class I IP", Count("ip.class1"))
metric("ip_class2", "number", "count", "Ⅱ类知识产权", "Class II IP", Count("ip.class2"))
metric("ip_invention_patents", "number", "count", "发明专利", "invention patents", Count("ip.invention_patents"))
metric(
    "ip_class1_applied_main_product",
    "number",
    "count",
    "与主导产品相关并实现收益的Ⅰ类知识产权",
    "Class I IP applied to the main product with economic benefit",
    Count("ip.class1_applied_main_product"),
)
rd_institution_level: Choice = metric(
    "rd_institution_level",
    "choice",
    "level",
    "研发机构级别",
    "level of the R&D institution",
    Choice("rd_institution.level", RD_INSTITUTION_LEVELS),
    choices=RD_INSTITUTION_LEVELS,
)
RD_HAS_INSTITUTION = Column("flags", "rd_has_institution", "rd_institution.has_institution", lambda v, _y: tri(v),
                            from_tri)  # fmt: skip


def _has_rd_institution_scalar(facts: Facts, _ctx: Context, _offset: int, _args: Any) -> Measured:
    institution = facts.rd_institution
    if institution is not None and institution.has_institution is not None:
        return Measured(institution.has_institution)
    if institution is not None and institution.level is not None:
        return Measured(institution.level != "none")
    return not_supplied(has_rd_institution.label)


def _has_rd_institution_vector(ctx: VectorContext, _offset: int, _args: Any) -> Col:
    declared = ctx.columns.flags["rd_has_institution"]
    level = ctx.columns.choices[rd_institution_level.column]
    none_code = RD_INSTITUTION_LEVELS.index("none")
    known = (declared >= 0) | (level >= 0)
    value = np.where(declared >= 0, declared == 1, (level >= 0) & (level != none_code))
    return FlagCol(known, value)


has_rd_institution: Custom = metric(
    "has_rd_institution",
    "flag",
    "none",
    "自建或联合建立研发机构",
    "own or joint R&D institution",
    Custom(_has_rd_institution_scalar, _has_rd_institution_vector, (RD_HAS_INSTITUTION,)),
)
metric("digital_level", "number", "level", "数字化水平等级", "digitalisation level", Count("digital_level"))
metric(
    "core_systems_supported",
    "flag",
    "none",
    "核心业务采用信息系统支撑",
    "a core business supported by an information system",
    CodesIn("core_systems", CORE_SYSTEM_CODES, column="core_systems"),
    args=CoreSystemArgs,
)
metric(
    "management_certified",
    "flag",
    "none",
    "获得管理体系认证",
    "management-system certification",
    # Any non-blank certificate; a row read back from the columns carries one (ISO9001) or none.
    Flag(
        "management_certs",
        read=lambda certs: None if certs is None else any(c.strip() for c in certs),
        write=lambda code, _y: None if code < 0 else (("ISO9001",) if code else ()),
    ),
)
metric(
    "developed_market_product_cert",
    "flag",
    "none",
    "获得发达国家或地区产品认证",
    "product certification of a developed country or region",
    CodesIn("product_certs", PRODUCT_CERT_CODES, column="product_certs"),
    args=ProductCertArgs,
)
metric(
    "quality_provincial_award", "flag", "none", "获省级以上质量奖", "provincial-or-higher quality award",
    Flag("quality.provincial_quality_award"),
)  # fmt: skip
metric(
    "quality_system_certified", "flag", "none", "通过质量管理体系认证", "quality system certified",
    Flag("quality.quality_system_certified"),
)  # fmt: skip
metric("own_brand", "flag", "none", "拥有自主品牌", "own brand", Flag("quality.own_brand"))
metric("standards_drafted", "flag", "none", "参与制修订标准", "took part in drafting standards",
       Flag("quality.standards_drafted"))  # fmt: skip

# --- the product's field and market ----------------------------------------------------------


def _named_field(attr: str) -> Flag:
    """The contract's null means "not in any of those fields" — once the field block is supplied."""
    return Flag(
        f"field.{attr}",
        read=lambda name: name is not None,
        write=lambda code, _y: None if code < 1 else attr,
    )


metric(
    "field_strategic_emerging", "flag", "none", "属于战略性新兴产业", "in a strategic emerging industry",
    Flag("field.strategic_emerging"),
)  # fmt: skip
metric(
    "field_six_foundations", "flag", "none", "属于工业“六基”", "in the six industrial foundations",
    _named_field("six_foundations"),
)  # fmt: skip
metric(
    "field_ten_industries",
    "flag",
    "none",
    "属于制造强国战略十大重点产业",
    "in the ten key industries of the manufacturing-power strategy",
    _named_field("ten_industries"),
)
metric(
    "field_network_power", "flag", "none", "属于网络强国建设领域", "in a network-power field",
    _named_field("network_power"),
)  # fmt: skip
metric(
    "field_chain_gap_filling",
    "flag",
    "none",
    "在产业链关键环节补短板、锻长板、填空白取得实际成效",
    "real gap-filling results at a key link of an industrial chain",
    Flag("field.chain_gap_filling"),
)
metric(
    "field_time_honoured_brand", "flag", "none", "中华老字号", "China Time-honoured Brand",
    Flag("field.time_honoured_brand"),
)  # fmt: skip
metric(
    "field_serves_chain_leader",
    "flag",
    "none",
    "主导产品为重点产业链龙头企业配套",
    "main product serves a leading enterprise of a key chain",
    Flag("field.serves_chain_leader"),
)
metric(
    "national_market_share", "number", "ratio", "主导产品全国细分市场占有率",
    "national niche market share of the main product", Share("national_market_share"),
)  # fmt: skip
metric(
    "international_market_share", "number", "ratio", "主导产品国际细分市场占有率",
    "international niche market share of the main product", Share("international_market_share"),
)  # fmt: skip

# --- single champions ------------------------------------------------------------------------

metric(
    "champion_global_rank", "number", "rank", "单项产品全球市场占有率排名", "global market-share rank",
    Count("champion.global_rank"),
)  # fmt: skip
metric(
    "champion_national_rank", "number", "rank", "单项产品全国市场占有率排名", "national market-share rank",
    Count("champion.national_rank"),
)  # fmt: skip
metric(
    "champion_provincial_rank", "number", "rank", "单项产品全省市场占有率排名", "provincial market-share rank",
    Count("champion.provincial_rank"),
)  # fmt: skip
metric(
    "champion_product_revenue_share", "number", "ratio", "单项产品销售收入占全部业务收入比重",
    "share of revenue from the single product", Share("champion.product_revenue_share"),
)  # fmt: skip
metric("champion_new_product", "flag", "none", "属于新产品", "a new product", Flag("champion.new_product"))
metric(
    "champion_technology_leading",
    "choice",
    "none",
    "生产技术或工艺水平",
    "technology or process level",
    Choice("champion.technology_leading", TECHNOLOGY_LEADING),
    choices=TECHNOLOGY_LEADING,
)
metric(
    "champion_profit_above_industry", "flag", "none", "利润率高于行业总体水平", "profitability above the industry",
    Flag("champion.profit_above_industry"),
)  # fmt: skip
metric(
    "champion_energy_advanced", "flag", "none", "产品能耗达到能耗限额标准先进值",
    "energy use at the advanced quota value", Flag("champion.energy_advanced"),
)  # fmt: skip

# --- awards, titles, scores (dated entries; their columns are fixed in `columns/layout.py`) ----


def _award_scalar(facts: Facts, ctx: Context, offset: int, args: AwardArgs) -> Measured:
    year = ctx.assessment_year - offset
    hit = any(
        a.year == year
        and a.level in args.levels
        and (args.max_rank is None or (a.rank is not None and a.rank <= args.max_rank))
        for a in facts.awards
    )
    return Measured(hit)


def _always_known(values: Any) -> FlagCol:
    return FlagCol(np.ones(values.shape, dtype=bool), values)


def _award_vector(ctx: VectorContext, offset: int, args: AwardArgs) -> Col:
    hit = np.zeros(ctx.columns.size, dtype=bool)
    for level in args.levels:
        ranks = ctx.columns.award_rank[:, AWARD_LEVELS.index(level), offset - 1]
        found = ranks > 0
        if args.max_rank is not None:
            found &= ranks <= args.max_rank
        hit |= found
    return _always_known(hit)


metric(
    "award_received", "flag", "none", "获科技奖励", "S&T award", Custom(_award_scalar, _award_vector),
    offsets=_F, args=AwardArgs,
)  # fmt: skip


def _maker_scalar(facts: Facts, ctx: Context, offset: int, args: MakerChinaArgs) -> Measured:
    year = ctx.assessment_year - offset
    return Measured(any(m.year == year and m.group in args.groups for m in facts.maker_china))


def _maker_vector(ctx: VectorContext, offset: int, args: MakerChinaArgs) -> Col:
    mask = sum(1 << MAKER_CHINA_GROUPS.index(g) for g in set(args.groups))
    return _always_known((ctx.columns.maker_china[:, offset - 1] & mask) != 0)


metric(
    "maker_china_selected",
    "flag",
    "none",
    "“创客中国”中小企业创新创业大赛入围",
    "selected in the 创客中国 SME contest",
    Custom(_maker_scalar, _maker_vector),
    offsets=_F,
    args=MakerChinaArgs,
)
metric(
    "honour_valid", "flag", "none", "有效期内的荣誉", "valid honour",
    HeldOnJanuaryFirst("honours", HONOUR_TYPES, "type", "types", Honour), args=HonourArgs,
)  # fmt: skip
metric(
    "recognition_valid", "flag", "none", "有效期内的梯度培育称号", "valid tier recognition",
    HeldOnJanuaryFirst("recognitions", TIERS, "tier", "tiers", Recognition), args=RecognitionArgs,
)  # fmt: skip


def _score_scalar(facts: Facts, ctx: Context, offset: int, _args: Any) -> Measured:
    year = ctx.assessment_year - offset
    for entry in facts.evaluation_scores:
        if entry.year == year:
            return Measured(Fraction(entry.score))
    label = evaluation_score.label
    return not_supplied(
        Text(f"{year}年{label.zh}（尚未公布或未提供）", f"{label.en} for {year} (not published or not supplied)")
    )


def _score_vector(ctx: VectorContext, offset: int, _args: Any) -> Col:
    c = ctx.columns
    return NumCol(c.scores_known[:, offset], c.scores[:, offset], SCORE_SCALE)


evaluation_score: Custom = metric(
    "evaluation_score",
    "number",
    "score",
    "专精特新发展评价得分（工信部平台）",
    "SRDI development evaluation score (MIIT platform)",
    Custom(_score_scalar, _score_vector),
    offsets=SCORE_OFFSETS,
)
metric(
    "market_position_attested",
    "flag",
    "none",
    "主导产品市场占有率较高（经佐证）",
    "main product's market share relatively high (evidenced)",
    Flag("market_position_attested"),
)


def _province_scalar(facts: Facts, _ctx: Context, _offset: int, args: ProvinceFeatureArgs) -> Measured:
    value = facts.province_features.get(args.key)
    if value is None:
        return not_supplied(Text(f"省级特色指标事实 {args.key}", f"province-defined fact {args.key}"))
    return Measured(value)


def _province_vector(ctx: VectorContext, _offset: int, args: ProvinceFeatureArgs) -> Col:
    feature = ctx.columns.province.get(args.key)
    if feature is None:
        return ChoiceCol(np.full(ctx.columns.size, -1, dtype=np.int16), ())
    return ChoiceCol(feature.codes, feature.categories)


metric(
    "province_feature", "choice", "none", "省级特色指标事实", "province-defined fact",
    Custom(_province_scalar, _province_vector), args=ProvinceFeatureArgs,
)  # fmt: skip

# --- derived from the declarations -----------------------------------------------------------

CATALOGUE: dict[str, MetricSpec] = {reader.name: reader.spec for reader in DECLARED}
READERS: dict[str, Reader] = {reader.name: reader for reader in DECLARED}
SCALAR_METRICS = {reader.name: reader.scalar for reader in DECLARED}
VECTOR_METRICS = {reader.name: reader.vector for reader in DECLARED}
# The batch columns the metrics read, once each (a column two metrics read is listed once).
COLUMNS: tuple[Column, ...] = tuple({(c.group, c.name): c for r in DECLARED for c in r.columns()}.values())
assert len(CATALOGUE) == len(DECLARED), "a metric is declared twice"


def spec(name: str) -> MetricSpec:
    return CATALOGUE[name]


def parse_args(metric_name: str, raw: dict[str, Any]) -> MetricArgs | None:
    model = CATALOGUE[metric_name].args
    return model.model_validate(raw) if model is not None else None


def measure(facts: Facts, ctx: Context, metric_name: str, offset: int, args: MetricArgs | None) -> Measured:
    return READERS[metric_name].scalar(facts, ctx, offset, args)
