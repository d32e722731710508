"""Facts as columns (numpy), for re-assessing many enterprises at once.

Every value is an exact integer so that band edges compare exactly in the batch path:
money in fen (int64), ratios supplied as facts in millionths, the MIIT score in hundredths. Unknown
values are marked: a `known` mask for money, -1 for counts, ranks, codes and tri-state flags
(-1 unknown, 0 false, 1 true).

Years are offsets from the assessment year, fixed when the columns are built: index 0 of a (n, 3)
financial column is year Y-1, index 2 is Y-3. The evaluation score column runs Y, Y-1, Y-2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from services.eligibility.domain.facts import (
    Award,
    Champion,
    Compliance,
    EvaluationScore,
    Facts,
    FinancialYear,
    Honour,
    IntellectualProperty,
    MakerChinaEntry,
    ProductField,
    Quality,
    RdInstitution,
    Recognition,
)
from services.eligibility.domain.metrics import day_number, parse_industry_code
from services.eligibility.domain.vocabulary import (
    AWARD_KINDS,
    AWARD_LEVELS,
    CORE_SYSTEM_CODES,
    HONOUR_TYPES,
    INDUSTRY_CATEGORIES,
    MAKER_CHINA_GROUPS,
    PRODUCT_CERT_CODES,
    RD_INSTITUTION_LEVELS,
    TECHNOLOGY_LEADING,
    Tier,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FINANCIAL_YEARS = 3  # offsets 1..3
SCORE_YEARS = 3  # offsets 0..2
MONEY_FIELDS = (
    "operating_revenue",
    "main_business_revenue",
    "rd_expense",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "new_equity_financing",
)
COUNT_FIELDS = ("employees", "rd_staff")
# |money| ≤ 10^12 yuan keeps every cross-multiplication of the batch path inside int64.
MAX_MONEY_FEN = 10**14
RATIO_SCALE = 10**6
SCORE_SCALE = 100
UNRANKED = 2**30  # an award without a rank: counts where no rank is asked, never for "top N"
TIERS = tuple(Tier)

INT_FIELDS = (
    "niche_years",
    "established_year",
    "digital_level",
    "ip_class1_high_value",
    "ip_class1_self_developed",
    "ip_class1",
    "ip_class2",
    "ip_invention_patents",
    "ip_class1_applied_main_product",
    "ip_class1_main_product_own",
    "ip_class1_main_product_own_top3",
    "champion_global_rank",
    "champion_national_rank",
    "champion_provincial_rank",
    "industry",
    "core_systems",
    "product_certs",
    "honours",
    "recognitions",
)
FLAG_FIELDS = (
    "sme",
    "listed_abnormal_operation",
    "listed_serious_dishonesty",
    "major_accident_3y",
    "prohibited_products",
    "rd_has_institution",
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
    # 2026 readings
    "field_key_chain_link",
    "data_falsification_3y",
    "champion_revenue_leading",
    "champion_profit_leading",
    "renown_attested",
    "group_little_giant_similar",
)
CHOICE_FIELDS = {
    "rd_institution_level": RD_INSTITUTION_LEVELS,
    "champion_technology_leading": TECHNOLOGY_LEADING,
    "field_industry_category": INDUSTRY_CATEGORIES,
}
IP_FIELDS = (
    "class1_high_value",
    "class1_self_developed",
    "class1",
    "class2",
    "invention_patents",
    "class1_applied_main_product",
    "class1_main_product_own",
    "class1_main_product_own_top3",
)
RATIO_FIELDS = ("national_market_share", "international_market_share", "champion_product_revenue_share")


@dataclass
class Categorical:
    """A province feature: codes into `categories`, -1 = not supplied."""

    codes: npt.NDArray[np.int16]
    categories: tuple[str | bool | int, ...]


@dataclass
class FactsColumns:
    assessment_year: int
    size: int
    money: dict[str, IntArray]  # fen, shape (n, 3)
    money_known: dict[str, BoolArray]  # shape (n, 3)
    counts: dict[str, IntArray]  # per year, -1 unknown, shape (n, 3)
    audited: npt.NDArray[np.int8]  # per year, -1/0/1, shape (n, 3)
    ints: dict[str, IntArray]  # -1 unknown
    flags: dict[str, npt.NDArray[np.int8]]  # -1/0/1
    choices: dict[str, npt.NDArray[np.int8]]  # index into the vocabulary, -1 unknown
    ratios: dict[str, IntArray]  # millionths, -1 unknown
    award_rank: npt.NDArray[np.int64]  # (n, levels, 3): best rank per level and year, 0 = none
    maker_china: npt.NDArray[np.int8]  # (n, 3): bit per group
    scores: IntArray  # (n, 3) hundredths, offsets 0..2
    scores_known: BoolArray
    # Every national award of a row, one slot each (n, k): rank (0 = empty slot, UNRANKED = no rank), kind
    # (index into AWARD_KINDS, -1 unknown), certificate date as yyyymmdd (-1 unknown) and year.
    national_awards: dict[str, IntArray] = field(default_factory=dict)
    province: dict[str, Categorical] = field(default_factory=dict)

    @classmethod
    def empty(cls, size: int, assessment_year: int) -> FactsColumns:
        def per_year() -> IntArray:
            return np.zeros((size, FINANCIAL_YEARS), dtype=np.int64)

        return cls(
            assessment_year=assessment_year,
            size=size,
            money={f: per_year() for f in MONEY_FIELDS},
            money_known={f: np.zeros((size, FINANCIAL_YEARS), dtype=bool) for f in MONEY_FIELDS},
            counts={f: per_year() - 1 for f in COUNT_FIELDS},
            audited=np.full((size, FINANCIAL_YEARS), -1, dtype=np.int8),
            ints={f: np.full(size, -1, dtype=np.int64) for f in INT_FIELDS},
            flags={f: np.full(size, -1, dtype=np.int8) for f in FLAG_FIELDS},
            choices={f: np.full(size, -1, dtype=np.int8) for f in CHOICE_FIELDS},
            ratios={f: np.full(size, -1, dtype=np.int64) for f in RATIO_FIELDS},
            award_rank=np.zeros((size, len(AWARD_LEVELS), FINANCIAL_YEARS), dtype=np.int64),
            maker_china=np.zeros((size, FINANCIAL_YEARS), dtype=np.int8),
            scores=np.zeros((size, SCORE_YEARS), dtype=np.int64),
            scores_known=np.zeros((size, SCORE_YEARS), dtype=bool),
            national_awards=national_award_slots(size, 1),
        )

    @classmethod
    def from_facts(cls, facts: list[Facts], assessment_year: int) -> FactsColumns:
        columns = cls.empty(len(facts), assessment_year)
        slots = max([sum(a.level == "national" for a in item.awards) for item in facts] + [1])
        columns.national_awards = national_award_slots(len(facts), slots)
        features: dict[str, list[str | bool | int | None]] = {}
        for row, item in enumerate(facts):
            _fill_row(columns, row, item)
            for key, value in item.province_features.items():
                features.setdefault(key, [None] * len(facts))[row] = value
        columns.province = {key: _categorical(values) for key, values in features.items()}
        return columns

    def to_facts(self, row: int) -> Facts:
        """One row back as `Facts` (used to run the scalar engine on the same data)."""
        return _row_facts(self, row)


def national_award_slots(size: int, slots: int) -> dict[str, IntArray]:
    return {
        "rank": np.zeros((size, slots), dtype=np.int64),
        "kind": np.full((size, slots), -1, dtype=np.int64),
        "certificate": np.full((size, slots), -1, dtype=np.int64),
        "year": np.zeros((size, slots), dtype=np.int64),
    }


# --- exact conversions -----------------------------------------------------------------------


def to_fen(amount: Decimal) -> int:
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"money {amount} has more than 2 decimal places")
    if abs(fen) > MAX_MONEY_FEN:
        raise ValueError(f"money {amount} is out of range (|amount| ≤ 10^12 yuan)")
    return int(fen)


def to_scaled(value: Decimal, scale: int, what: str) -> int:
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} has too many decimal places for the batch columns")
    return int(scaled)


def encode_industry(code: str | None) -> int:
    """letter × 100000 + digits padded to 4 × 10 + number of digits; -1 if not a GB/T 4754 code."""
    parsed = parse_industry_code(code)
    if parsed is None:
        return -1
    letter, digits = parsed
    return (ord(letter) - ord("A")) * 100000 + int(digits.ljust(4, "0")) * 10 + len(digits)


def decode_industry(encoded: int) -> str | None:
    if encoded < 0:
        return None
    letter = chr(ord("A") + encoded // 100000)
    width = encoded % 10
    digits = f"{(encoded // 10) % 10000:04d}"[:width]
    return letter + digits


def _tri(value: bool | None) -> int:
    return -1 if value is None else int(value)


def _bits(codes: tuple[str, ...] | None, vocabulary: tuple[str, ...]) -> int:
    if codes is None:
        return -1
    wanted = {c.strip().upper() for c in codes}
    return sum(1 << i for i, code in enumerate(vocabulary) if code in wanted)


def _categorical(values: list[str | bool | int | None]) -> Categorical:
    categories = tuple(dict.fromkeys(v for v in values if v is not None))
    index = {category: i for i, category in enumerate(categories)}
    codes = np.array([-1 if v is None else index[v] for v in values], dtype=np.int16)
    return Categorical(codes, categories)


def _fill_row(c: FactsColumns, row: int, facts: Facts) -> None:
    _fill_financials(c, row, facts)
    ints, flags = c.ints, c.flags
    ints["niche_years"][row] = -1 if facts.niche_years is None else facts.niche_years
    ints["established_year"][row] = -1 if facts.established_on is None else facts.established_on.year
    ints["digital_level"][row] = -1 if facts.digital_level is None else facts.digital_level
    ints["industry"][row] = encode_industry(facts.industry_code)
    ints["core_systems"][row] = _bits(facts.core_systems, CORE_SYSTEM_CODES)
    ints["product_certs"][row] = _bits(facts.product_certs, PRODUCT_CERT_CODES)
    start = date(c.assessment_year, 1, 1)
    ints["honours"][row] = sum(1 << HONOUR_TYPES.index(h.type) for h in set(facts.honours) if h.valid_until >= start)
    valid_tiers = {r.tier for r in facts.recognitions if r.valid_until >= start}
    ints["recognitions"][row] = sum(1 << TIERS.index(t) for t in valid_tiers)
    ip = facts.ip or IntellectualProperty()
    for name in IP_FIELDS:
        value = getattr(ip, name)
        ints[f"ip_{name}"][row] = -1 if value is None else value
    flags["sme"][row] = _tri(facts.sme)
    flags["management_certified"][row] = (
        -1 if facts.management_certs is None else int(any(x.strip() for x in facts.management_certs))
    )
    flags["market_position_attested"][row] = _tri(facts.market_position_attested)
    flags["renown_attested"][row] = _tri(facts.renown_attested)
    flags["group_little_giant_similar"][row] = _tri(facts.group_little_giant_similar)
    _fill_blocks(c, row, facts)
    _fill_events(c, row, facts)


def _fill_financials(c: FactsColumns, row: int, facts: Facts) -> None:
    for index in range(FINANCIAL_YEARS):
        entry = facts.year(c.assessment_year - 1 - index)
        if entry is None:
            continue
        for name in MONEY_FIELDS:
            value = getattr(entry, name)
            if value is not None:
                c.money[name][row, index] = to_fen(value)
                c.money_known[name][row, index] = True
        for name in COUNT_FIELDS:
            value = getattr(entry, name)
            c.counts[name][row, index] = -1 if value is None else value
        c.audited[row, index] = _tri(entry.audited)


def _fill_blocks(c: FactsColumns, row: int, facts: Facts) -> None:
    flags = c.flags
    compliance = facts.compliance or Compliance()
    flags["listed_abnormal_operation"][row] = _tri(compliance.abnormal_operation_list)
    flags["listed_serious_dishonesty"][row] = _tri(compliance.serious_dishonesty_list)
    flags["major_accident_3y"][row] = _tri(compliance.major_accident_3y)
    flags["prohibited_products"][row] = _tri(compliance.prohibited_products)
    flags["data_falsification_3y"][row] = _tri(compliance.data_falsification_3y)
    quality = facts.quality or Quality()
    flags["quality_provincial_award"][row] = _tri(quality.provincial_quality_award)
    flags["quality_system_certified"][row] = _tri(quality.quality_system_certified)
    flags["own_brand"][row] = _tri(quality.own_brand)
    flags["standards_drafted"][row] = _tri(quality.standards_drafted)
    product = facts.field
    for name in (
        "strategic_emerging",
        "chain_gap_filling",
        "time_honoured_brand",
        "serves_chain_leader",
        "key_chain_link",
    ):
        flags[f"field_{name}"][row] = -1 if product is None else _tri(getattr(product, name))
    category = None if product is None else product.industry_category
    c.choices["field_industry_category"][row] = _code(category, INDUSTRY_CATEGORIES)
    for name in ("six_foundations", "ten_industries", "network_power"):
        flags[f"field_{name}"][row] = -1 if product is None else int(getattr(product, name) is not None)
    institution = facts.rd_institution or RdInstitution()
    flags["rd_has_institution"][row] = _tri(institution.has_institution)
    c.choices["rd_institution_level"][row] = _code(institution.level, RD_INSTITUTION_LEVELS)
    champion = facts.champion or Champion()
    c.ints["champion_global_rank"][row] = -1 if champion.global_rank is None else champion.global_rank
    c.ints["champion_national_rank"][row] = -1 if champion.national_rank is None else champion.national_rank
    c.ints["champion_provincial_rank"][row] = -1 if champion.provincial_rank is None else champion.provincial_rank
    flags["champion_new_product"][row] = _tri(champion.new_product)
    flags["champion_profit_above_industry"][row] = _tri(champion.profit_above_industry)
    flags["champion_energy_advanced"][row] = _tri(champion.energy_advanced)
    flags["champion_revenue_leading"][row] = _tri(champion.revenue_leading)
    flags["champion_profit_leading"][row] = _tri(champion.profit_leading)
    c.choices["champion_technology_leading"][row] = _code(champion.technology_leading, TECHNOLOGY_LEADING)
    for name, value in (
        ("national_market_share", facts.national_market_share),
        ("international_market_share", facts.international_market_share),
        ("champion_product_revenue_share", champion.product_revenue_share),
    ):
        c.ratios[name][row] = -1 if value is None else to_scaled(value, RATIO_SCALE, name)


def _code(value: str | None, vocabulary: tuple[str, ...]) -> int:
    return -1 if value is None else vocabulary.index(value)


def _fill_events(c: FactsColumns, row: int, facts: Facts) -> None:
    national = c.national_awards
    for slot, award in enumerate(a for a in facts.awards if a.level == "national"):
        national["rank"][row, slot] = UNRANKED if award.rank is None else award.rank
        national["kind"][row, slot] = _code(award.kind, AWARD_KINDS)
        certificate = award.certificate_date
        national["certificate"][row, slot] = -1 if certificate is None else day_number(certificate)
        national["year"][row, slot] = award.year
    for award in facts.awards:
        index = c.assessment_year - award.year - 1
        if 0 <= index < FINANCIAL_YEARS:
            level = AWARD_LEVELS.index(award.level)
            rank = UNRANKED if award.rank is None else award.rank
            current = c.award_rank[row, level, index]
            c.award_rank[row, level, index] = rank if current == 0 else min(current, rank)
    for entry in facts.maker_china:
        index = c.assessment_year - entry.year - 1
        if 0 <= index < FINANCIAL_YEARS:
            c.maker_china[row, index] |= 1 << MAKER_CHINA_GROUPS.index(entry.group)
    for score in facts.evaluation_scores:
        index = c.assessment_year - score.year
        if 0 <= index < SCORE_YEARS:
            c.scores[row, index] = to_scaled(score.score, SCORE_SCALE, "evaluation score")
            c.scores_known[row, index] = True


# --- back to facts ---------------------------------------------------------------------------


def _opt(value: int) -> int | None:
    return None if value < 0 else int(value)


def _flag(c: FactsColumns, name: str, row: int) -> bool | None:
    value = int(c.flags[name][row])
    return None if value < 0 else bool(value)


def _row_facts(c: FactsColumns, row: int) -> Facts:
    ints = c.ints
    field_supplied = int(c.flags["field_strategic_emerging"][row]) >= 0 or any(
        int(c.flags[f"field_{n}"][row]) >= 0 for n in ("six_foundations", "chain_gap_filling")
    )
    return Facts(
        industry_code=decode_industry(int(ints["industry"][row])),
        sme=_flag(c, "sme", row),
        established_on=None if ints["established_year"][row] < 0 else date(int(ints["established_year"][row]), 6, 1),
        niche_years=_opt(int(ints["niche_years"][row])),
        financials=_row_financials(c, row),
        ip=IntellectualProperty(**{n: _opt(int(ints[f"ip_{n}"][row])) for n in IP_FIELDS}),
        rd_institution=RdInstitution(
            _vocab(c.choices["rd_institution_level"][row], RD_INSTITUTION_LEVELS), _flag(c, "rd_has_institution", row)
        ),
        digital_level=_opt(int(ints["digital_level"][row])),
        core_systems=_codes(int(ints["core_systems"][row]), CORE_SYSTEM_CODES),
        quality=Quality(
            *(
                _flag(c, n, row)
                for n in ("quality_provincial_award", "quality_system_certified", "own_brand", "standards_drafted")
            )
        ),
        management_certs=None
        if c.flags["management_certified"][row] < 0
        else (("ISO9001",) if c.flags["management_certified"][row] else ()),
        product_certs=_codes(int(ints["product_certs"][row]), PRODUCT_CERT_CODES),
        field=_row_field(c, row) if field_supplied else None,
        national_market_share=_ratio(c, "national_market_share", row),
        champion=Champion(
            _opt(int(ints["champion_global_rank"][row])),
            _opt(int(ints["champion_national_rank"][row])),
            _opt(int(ints["champion_provincial_rank"][row])),
            _ratio(c, "champion_product_revenue_share", row),
            _flag(c, "champion_new_product", row),
            _vocab(c.choices["champion_technology_leading"][row], TECHNOLOGY_LEADING),
            _flag(c, "champion_profit_above_industry", row),
            _flag(c, "champion_energy_advanced", row),
            _flag(c, "champion_revenue_leading", row),
            _flag(c, "champion_profit_leading", row),
        ),
        awards=_row_awards(c, row),
        maker_china=tuple(
            MakerChinaEntry(c.assessment_year - 1 - i, group)
            for i in range(FINANCIAL_YEARS)
            for b, group in enumerate(MAKER_CHINA_GROUPS)
            if c.maker_china[row, i] & (1 << b)
        ),
        honours=tuple(
            Honour(t, date(c.assessment_year, 12, 31))
            for b, t in enumerate(HONOUR_TYPES)
            if int(ints["honours"][row]) & (1 << b)
        ),
        compliance=Compliance(
            *(
                _flag(c, n, row)
                for n in (
                    "listed_abnormal_operation",
                    "listed_serious_dishonesty",
                    "major_accident_3y",
                    "prohibited_products",
                    "data_falsification_3y",
                )
            )
        ),
        recognitions=tuple(
            Recognition(t, date(c.assessment_year, 12, 31))
            for b, t in enumerate(TIERS)
            if int(ints["recognitions"][row]) & (1 << b)
        ),
        province_features={
            k: cat.categories[int(cat.codes[row])] for k, cat in c.province.items() if cat.codes[row] >= 0
        },
        international_market_share=_ratio(c, "international_market_share", row),
        market_position_attested=_flag(c, "market_position_attested", row),
        evaluation_scores=tuple(
            EvaluationScore(c.assessment_year - i, Decimal(int(c.scores[row, i])) / SCORE_SCALE)
            for i in range(SCORE_YEARS)
            if c.scores_known[row, i]
        ),
        renown_attested=_flag(c, "renown_attested", row),
        group_little_giant_similar=_flag(c, "group_little_giant_similar", row),
    )


def _vocab(code: int, vocabulary: tuple[str, ...]) -> str | None:
    return None if code < 0 else vocabulary[int(code)]


def _codes(bits: int, vocabulary: tuple[str, ...]) -> tuple[str, ...] | None:
    return None if bits < 0 else tuple(code for i, code in enumerate(vocabulary) if bits & (1 << i))


def _ratio(c: FactsColumns, name: str, row: int) -> Decimal | None:
    value = int(c.ratios[name][row])
    return None if value < 0 else Decimal(value) / RATIO_SCALE


def _row_field(c: FactsColumns, row: int) -> ProductField:
    def named(name: str) -> str | None:
        return name if c.flags[f"field_{name}"][row] == 1 else None

    return ProductField(
        _flag(c, "field_strategic_emerging", row),
        named("six_foundations"),
        named("ten_industries"),
        named("network_power"),
        _flag(c, "field_chain_gap_filling", row),
        _flag(c, "field_time_honoured_brand", row),
        _flag(c, "field_serves_chain_leader", row),
        _vocab(c.choices["field_industry_category"][row], INDUSTRY_CATEGORIES),
        _flag(c, "field_key_chain_link", row),
    )


def _row_financials(c: FactsColumns, row: int) -> tuple[FinancialYear, ...]:
    years = []
    for index in range(FINANCIAL_YEARS):
        values = {
            name: Decimal(int(c.money[name][row, index])) / 100 if c.money_known[name][row, index] else None
            for name in MONEY_FIELDS
        }
        counts = {name: _opt(int(c.counts[name][row, index])) for name in COUNT_FIELDS}
        audited = int(c.audited[row, index])
        if any(v is not None for v in (*values.values(), *counts.values())) or audited >= 0:
            years.append(
                FinancialYear(
                    c.assessment_year - 1 - index,
                    **values,  # type: ignore[arg-type]
                    **counts,  # type: ignore[arg-type]
                    audited=None if audited < 0 else bool(audited),
                )
            )
    return tuple(years)


def _row_awards(c: FactsColumns, row: int) -> tuple[Award, ...]:
    """Provincial awards from the per-year best ranks; national ones from their slots (kind and date kept)."""
    awards = []
    national = c.national_awards
    for slot in range(national["rank"].shape[1]):
        rank = int(national["rank"][row, slot])
        if rank:
            certificate = int(national["certificate"][row, slot])
            awards.append(
                Award(
                    "national",
                    int(national["year"][row, slot]),
                    None if rank == UNRANKED else rank,
                    _vocab(int(national["kind"][row, slot]), AWARD_KINDS),
                    None
                    if certificate < 0
                    else date(certificate // 10000, certificate // 100 % 100, certificate % 100),
                )
            )
    for level_index, level in enumerate(AWARD_LEVELS):
        if level == "national":
            continue
        for index in range(FINANCIAL_YEARS):
            rank = int(c.award_rank[row, level_index, index])
            if rank:
                awards.append(Award(level, c.assessment_year - 1 - index, None if rank == UNRANKED else rank))
    return tuple(awards)


def synthetic_columns(size: int, assessment_year: int, seed: int = 20250606) -> FactsColumns:
    """A seeded synthetic population (see `synthetic.py`)."""
    from services.eligibility.domain.synthetic import generate  # local: synthetic imports this module

    return generate(size, assessment_year, seed)
