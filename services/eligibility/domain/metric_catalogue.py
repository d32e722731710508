"""Every metric a rule file may name, with its kind, unit, label and allowed years.

The scalar implementations are in `metrics.py`, the vectorised ones in `vector_metrics.py`; a
unit test checks that both cover exactly this catalogue, and the loader rejects a rule file that
names anything else (with the file and line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import (
    CORE_SYSTEM_CODES,
    INDUSTRY_CATEGORIES,
    PRODUCT_CERT_CODES,
    RD_INSTITUTION_LEVELS,
    TECHNOLOGY_LEADING,
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


class NationalAwardArgs(MetricArgs):
    """One of the four national S&T awards, ranked within `max_rank`, certified at most `within_years`
    before the assessment's reference date (criteria.md, "2026 readings")."""

    max_rank: int = Field(ge=1)
    within_years: int = Field(ge=1)


class RuleParameterArgs(MetricArgs):
    """A switch written in the rule file itself (e.g. an unproven relaxation, off by default)."""

    name: str
    value: bool


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


def _m(name: str, kind: Kind, unit: Unit, zh: str, en: str, **extra: object) -> MetricSpec:
    return MetricSpec(name, kind, unit, Text(zh, en), **extra)  # type: ignore[arg-type]


_F = FINANCIAL_OFFSETS
CATALOGUE: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        _m("operating_revenue", "number", "money", "营业收入", "operating revenue", offsets=_F),
        _m("main_business_revenue", "number", "money", "主营业务收入", "main business revenue", offsets=_F),
        _m("rd_expense", "number", "money", "研发费用", "R&D expense", offsets=_F),
        _m("net_profit", "number", "money", "净利润", "net profit", offsets=_F),
        _m("total_assets", "number", "money", "资产总额", "total assets", offsets=_F),
        _m("total_liabilities", "number", "money", "负债总额", "total liabilities", offsets=_F),
        _m(
            "new_equity_financing",
            "number",
            "money",
            "新增股权融资（合格机构投资者实缴）",
            "new equity financing (qualified investors, paid-in)",
            offsets=_F,
            missing_as_zero_in_sum=True,
        ),
        _m("employees", "number", "count", "从业人员", "employees", offsets=_F),
        _m("rd_staff", "number", "count", "研发人员", "R&D staff", offsets=_F),
        _m("audited", "flag", "none", "财务报表经审计并报备", "statements audited and filed", offsets=_F),
        _m(
            "rd_intensity",
            "number",
            "ratio",
            "研发投入强度（研发费用÷营业收入）",
            "R&D intensity (R&D expense ÷ operating revenue)",
            offsets=_F,
        ),
        _m(
            "main_business_share",
            "number",
            "ratio",
            "主营业务收入占营业收入比重",
            "main business share of operating revenue",
            offsets=_F,
        ),
        _m("debt_ratio", "number", "ratio", "资产负债率", "debt ratio", offsets=_F),
        _m("net_profit_margin", "number", "ratio", "净利润率", "net profit margin", offsets=_F),
        _m("rd_staff_ratio", "number", "ratio", "研发人员占职工总数比重", "R&D staff share of employees", offsets=_F),
        _m(
            "main_business_growth",
            "number",
            "ratio",
            "主营业务收入增长率",
            "main business revenue growth",
            offsets=GROWTH_OFFSETS,
        ),
        _m(
            "operating_revenue_cagr_2y",
            "number",
            "growth_factor",
            "近2年营业收入复合增长率",
            "2-year compound operating revenue growth",
        ),
        _m("niche_years", "number", "years", "从事特定细分市场年限", "years in the niche market"),
        _m("operating_years", "number", "years", "持续经营年限", "years in operation"),
        _m("is_sme", "flag", "none", "属于中小企业（中小企业划型标准）", "an SME (SME size standard)"),
        _m("listed_abnormal_operation", "flag", "none", "列入经营异常名录", "on the abnormal-operation list"),
        _m("listed_serious_dishonesty", "flag", "none", "列入严重失信主体名单", "on the serious-dishonesty list"),
        _m(
            "major_accident_3y",
            "flag",
            "none",
            "近三年发生重大安全、质量、环境事故或偷漏税",
            "major safety, quality or environmental accident, or tax evasion, in 3 years",
        ),
        _m(
            "prohibited_products",
            "flag",
            "none",
            "产品属于禁止、限制或淘汰类",
            "products in the prohibited, restricted or obsolete catalogues",
        ),
        _m("ip_class1_high_value", "number", "count", "高价值Ⅰ类知识产权", "high-value Class I IP"),
        _m("ip_class1_self_developed", "number", "count", "自主研发Ⅰ类知识产权", "self-developed Class I IP"),
        _m("ip_class1", "number", "count", "Ⅰ类知识产权", "Class I IP"),
        _m("ip_class2", "number", "count", "Ⅱ类知识产权", "Class II IP"),
        _m("ip_invention_patents", "number", "count", "发明专利", "invention patents"),
        _m(
            "ip_class1_applied_main_product",
            "number",
            "count",
            "与主导产品相关并实现收益的Ⅰ类知识产权",
            "Class I IP applied to the main product with economic benefit",
        ),
        _m(
            "rd_institution_level",
            "choice",
            "level",
            "研发机构级别",
            "level of the R&D institution",
            choices=RD_INSTITUTION_LEVELS,
        ),
        _m("has_rd_institution", "flag", "none", "自建或联合建立研发机构", "own or joint R&D institution"),
        _m("digital_level", "number", "level", "数字化水平等级", "digitalisation level"),
        _m(
            "core_systems_supported",
            "flag",
            "none",
            "核心业务采用信息系统支撑",
            "a core business supported by an information system",
            args=CoreSystemArgs,
        ),
        _m("management_certified", "flag", "none", "获得管理体系认证", "management-system certification"),
        _m(
            "developed_market_product_cert",
            "flag",
            "none",
            "获得发达国家或地区产品认证",
            "product certification of a developed country or region",
            args=ProductCertArgs,
        ),
        _m("quality_provincial_award", "flag", "none", "获省级以上质量奖", "provincial-or-higher quality award"),
        _m("quality_system_certified", "flag", "none", "通过质量管理体系认证", "quality system certified"),
        _m("own_brand", "flag", "none", "拥有自主品牌", "own brand"),
        _m("standards_drafted", "flag", "none", "参与制修订标准", "took part in drafting standards"),
        _m("field_strategic_emerging", "flag", "none", "属于战略性新兴产业", "in a strategic emerging industry"),
        _m("field_six_foundations", "flag", "none", "属于工业“六基”", "in the six industrial foundations"),
        _m(
            "field_ten_industries",
            "flag",
            "none",
            "属于制造强国战略十大重点产业",
            "in the ten key industries of the manufacturing-power strategy",
        ),
        _m("field_network_power", "flag", "none", "属于网络强国建设领域", "in a network-power field"),
        _m(
            "field_chain_gap_filling",
            "flag",
            "none",
            "在产业链关键环节补短板、锻长板、填空白取得实际成效",
            "real gap-filling results at a key link of an industrial chain",
        ),
        _m("field_time_honoured_brand", "flag", "none", "中华老字号", "China Time-honoured Brand"),
        _m(
            "field_serves_chain_leader",
            "flag",
            "none",
            "主导产品为重点产业链龙头企业配套",
            "main product serves a leading enterprise of a key chain",
        ),
        _m(
            "national_market_share",
            "number",
            "ratio",
            "主导产品全国细分市场占有率",
            "national niche market share of the main product",
        ),
        _m(
            "international_market_share",
            "number",
            "ratio",
            "主导产品国际细分市场占有率",
            "international niche market share of the main product",
        ),
        _m("champion_global_rank", "number", "rank", "单项产品全球市场占有率排名", "global market-share rank"),
        _m("champion_national_rank", "number", "rank", "单项产品全国市场占有率排名", "national market-share rank"),
        _m("champion_provincial_rank", "number", "rank", "单项产品全省市场占有率排名", "provincial market-share rank"),
        _m(
            "champion_product_revenue_share",
            "number",
            "ratio",
            "单项产品销售收入占全部业务收入比重",
            "share of revenue from the single product",
        ),
        _m("champion_new_product", "flag", "none", "属于新产品", "a new product"),
        _m(
            "champion_technology_leading",
            "choice",
            "none",
            "生产技术或工艺水平",
            "technology or process level",
            choices=TECHNOLOGY_LEADING,
        ),
        _m(
            "champion_profit_above_industry",
            "flag",
            "none",
            "利润率高于行业总体水平",
            "profitability above the industry",
        ),
        _m(
            "champion_energy_advanced",
            "flag",
            "none",
            "产品能耗达到能耗限额标准先进值",
            "energy use at the advanced quota value",
        ),
        _m("award_received", "flag", "none", "获科技奖励", "S&T award", offsets=_F, args=AwardArgs),
        _m(
            "maker_china_selected",
            "flag",
            "none",
            "“创客中国”中小企业创新创业大赛入围",
            "selected in the 创客中国 SME contest",
            offsets=_F,
            args=MakerChinaArgs,
        ),
        _m("honour_valid", "flag", "none", "有效期内的荣誉", "valid honour", args=HonourArgs),
        _m(
            "recognition_valid",
            "flag",
            "none",
            "有效期内的梯度培育称号",
            "valid tier recognition",
            args=RecognitionArgs,
        ),
        _m(
            "evaluation_score",
            "number",
            "score",
            "专精特新发展评价得分（工信部平台）",
            "SRDI development evaluation score (MIIT platform)",
            offsets=SCORE_OFFSETS,
        ),
        _m(
            "market_position_attested",
            "flag",
            "none",
            "主导产品市场占有率较高（经佐证）",
            "main product's market share relatively high (evidenced)",
        ),
        _m("province_feature", "choice", "none", "省级特色指标事实", "province-defined fact", args=ProvinceFeatureArgs),
        # --- 2026 readings checked against annex quotations (criteria.md) ---
        _m(
            "ip_class1_main_product_own",
            "number",
            "count",
            "与主导产品相关、实现收益且非受让取得的Ⅰ类知识产权",
            "Class I IP applied to the main product, not transferred in",
        ),
        _m(
            "ip_class1_main_product_own_top3",
            "number",
            "count",
            "其中企业为前三位权利人的Ⅰ类知识产权",
            "of those, Class I IP with the enterprise among the first 3 rights holders",
        ),
        _m(
            "field_industry_category",
            "choice",
            "none",
            "主导产品所属产业（传统、新兴、未来产业）",
            "industry of the main product (traditional, emerging, future)",
            choices=INDUSTRY_CATEGORIES,
        ),
        _m("field_key_chain_link", "flag", "none", "处于产业链关键环节", "at a key link of an industrial chain"),
        _m(
            "national_st_award",
            "flag",
            "none",
            "国家科学技术进步奖、自然科学奖、技术发明奖或国防科技奖（自证书日期起计）",
            "national S&T progress, natural science, invention or defence S&T award (from its certificate date)",
            args=NationalAwardArgs,
        ),
        _m(
            "data_falsification_3y",
            "flag",
            "none",
            "近三年因弄虚作假被撤销称号",
            "title cancelled for data falsification in the last 3 years",
        ),
        _m(
            "champion_revenue_leading",
            "flag",
            "none",
            "主营业务收入行业领先",
            "main business revenue leading in the industry",
        ),
        _m("champion_profit_leading", "flag", "none", "利润行业领先", "profit leading in the industry"),
        _m(
            "renown_attested",
            "flag",
            "none",
            "主导产品知名度、影响力（需佐证材料）",
            "renown and influence of the main product (evidence needed)",
        ),
        _m(
            "group_little_giant_similar",
            "flag",
            "none",
            "受已认定“小巨人”企业控制或与生产同类产品的“小巨人”企业同属一个集团",
            "controlled by, or in one group with, a recognised little giant making similar products",
        ),
        _m("rule_parameter", "flag", "none", "规则参数", "rule-set parameter", args=RuleParameterArgs),
    )
}


def spec(name: str) -> MetricSpec:
    return CATALOGUE[name]
