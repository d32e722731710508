"""Ranked, explained matching of a financing need against bank products (pure, deterministic).

1. **Hard filters** — prefecture served, tier, amount range, term range, collateral, rate ceiling,
   product type (when the need names types), industry. A product failing any is rejected, each failed
   filter named (zh + en).
2. **Score** (0–100, exact integer arithmetic in hundredths, so the same inputs give the same score on
   every machine):
   - rate — up to 40: ``16 × (200 − spread_bp)`` hundredths, clamped to [0, 4000]: a spread of LPR − 50 bp
     or lower scores 40, LPR + 0 scores 32, LPR + 200 bp or more scores 0;
   - paired bank (结对银行) — 25;
   - the bank's measured response record — up to 20 (share of responses within the committed working
     days); 10 while a bank has fewer than :data:`MIN_RECORD` responses;
   - an SRDI-dedicated product for an SRDI enterprise — 10; no collateral required — 5.
3. **Ties** are broken stably: higher score, then lower starting rate, then product id.

:func:`match_need` is the plain reference (every product, every filter, in Python);
:class:`ProductIndex` is what the service runs — the same filters and score on NumPy arrays, with
explanations built only for the products it returns. A unit test and ``bench/finance_match.py`` show
they agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from services.finance_match.domain.vocabulary import (
    COLLATERAL_ZH,
    PRODUCT_TYPE_ZH,
    SRDI_RANK,
    TIER_RANK,
    TIER_ZH,
    Collateral,
    ProductType,
)

MIN_RECORD = 3
FIVE_YEAR_TERM_MONTHS = 60  # LPR: 1-year for terms up to 5 years, 5-year above


@dataclass(frozen=True)
class Lpr:
    """Loan Prime Rate (贷款市场报价利率) in force, in basis points."""

    one_year_bp: int
    five_year_bp: int

    def for_term(self, term_months: int) -> int:
        return self.five_year_bp if term_months > FIVE_YEAR_TERM_MONTHS else self.one_year_bp


@dataclass(frozen=True)
class Offer:
    """A product as matching sees it. Money in fen (0.01 yuan), rates and spreads in basis points."""

    product_id: str
    bank_id: str
    product_type: str
    amount_min_fen: int
    amount_max_fen: int
    term_min_months: int
    term_max_months: int
    spread_min_bp: int
    tiers: frozenset[str] = frozenset()  # empty: any enterprise; else the lowest tier named is required
    prefectures: frozenset[str] = frozenset()
    industries: tuple[str, ...] = ()  # GB/T 4754 prefixes ("C", "C39"); empty: all
    collateral: frozenset[str] = frozenset()  # the need must offer one of these; empty: credit (none)

    @property
    def min_tier_rank(self) -> int:
        return min((TIER_RANK[t] for t in self.tiers), default=0)


@dataclass(frozen=True)
class NeedFacts:
    need_id: str
    amount_fen: int
    term_months: int
    prefecture_code: str
    industry_code: str
    tier_rank: int  # 0: no tier; 1 innovative_sme … 4 single_champion
    collateral_offered: frozenset[str] = frozenset()
    max_rate_bp: int | None = None
    product_types: frozenset[str] = frozenset()
    paired_bank_id: str | None = None


@dataclass(frozen=True)
class BankRecord:
    responses: int
    on_time: int


@dataclass(frozen=True)
class Reason:
    code: str
    en: str
    zh: str
    points: Decimal | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "points": None if self.points is None else str(self.points),
            "en": self.en,
            "zh": self.zh,
        }


@dataclass(frozen=True)
class Match:
    product_id: str
    bank_id: str
    score: Decimal
    rate_from_bp: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def rate_from_percent(self) -> Decimal:
        return Decimal(self.rate_from_bp) / 100


@dataclass(frozen=True)
class Rejection:
    product_id: str
    failed: tuple[Reason, ...]


def _pct(bp: int) -> str:
    return f"{Decimal(bp) / 100:.2f}%"


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"


def tier_rank(tiers: Sequence[str]) -> int:
    return max((TIER_RANK[t] for t in tiers if t in TIER_RANK), default=0)


def industry_served(offer: Offer, industry_code: str) -> bool:
    return not offer.industries or any(industry_code.startswith(p) for p in offer.industries)


def failed_filters(need: NeedFacts, offer: Offer, lpr: Lpr) -> list[Reason]:
    failed: list[Reason] = []
    if offer.prefectures and need.prefecture_code not in offer.prefectures:
        failed.append(
            Reason(
                "prefecture",
                f"not offered in prefecture {need.prefecture_code}",
                f"产品未覆盖该州市（{need.prefecture_code}）",
            )
        )
    if need.tier_rank < offer.min_tier_rank:
        lowest = min(offer.tiers, key=TIER_RANK.__getitem__)
        failed.append(Reason("tier", f"requires tier {lowest} or above", f"需具备{TIER_ZH[lowest]}及以上梯度"))
    if not offer.amount_min_fen <= need.amount_fen <= offer.amount_max_fen:
        failed.append(
            Reason(
                "amount",
                f"amount outside {_yuan(offer.amount_min_fen)}–{_yuan(offer.amount_max_fen)} yuan",
                f"金额不在产品范围内（{_yuan(offer.amount_min_fen)}–{_yuan(offer.amount_max_fen)} 元）",
            )
        )
    if not offer.term_min_months <= need.term_months <= offer.term_max_months:
        failed.append(
            Reason(
                "term",
                f"term outside {offer.term_min_months}–{offer.term_max_months} months",
                f"期限不在产品范围内（{offer.term_min_months}–{offer.term_max_months} 个月）",
            )
        )
    if offer.collateral and not (offer.collateral & need.collateral_offered):
        kinds = sorted(offer.collateral)
        failed.append(
            Reason(
                "collateral",
                f"requires one of: {', '.join(kinds)}",
                f"需提供以下担保方式之一：{'、'.join(COLLATERAL_ZH.get(Collateral(k), k) for k in kinds)}",
            )
        )
    rate = lpr.for_term(need.term_months) + offer.spread_min_bp
    if need.max_rate_bp is not None and rate > need.max_rate_bp:
        failed.append(
            Reason(
                "rate",
                f"lowest rate {_pct(rate)} above the ceiling {_pct(need.max_rate_bp)}",
                f"最低利率 {_pct(rate)} 高于可接受上限 {_pct(need.max_rate_bp)}",
            )
        )
    if need.product_types and offer.product_type not in need.product_types:
        failed.append(
            Reason(
                "product_type",
                f"product type {offer.product_type} not asked for",
                f"非企业所需产品类型（{PRODUCT_TYPE_ZH.get(ProductType(offer.product_type), offer.product_type)}）",
            )
        )
    if not industry_served(offer, need.industry_code):
        failed.append(
            Reason("industry", f"industry {need.industry_code} not served", f"产品未覆盖该行业（{need.industry_code}）")
        )
    return failed


def _rate_points(spread_bp: int) -> int:
    return max(0, min(4000, 16 * (200 - spread_bp)))


def _record_points(record: BankRecord | None) -> int:
    if record is None or record.responses < MIN_RECORD:
        return 1000
    return (2000 * record.on_time) // record.responses


def _hundredths(points: int) -> Decimal:
    return (Decimal(points) / 100).quantize(Decimal("0.01"))


def explain(need: NeedFacts, offer: Offer, lpr: Lpr, record: BankRecord | None) -> tuple[int, tuple[Reason, ...]]:
    """The score (hundredths) and its reasons, for a product that passed every filter."""
    rate = lpr.for_term(need.term_months) + offer.spread_min_bp
    rate_pts = _rate_points(offer.spread_min_bp)
    spread = f"LPR{'+' if offer.spread_min_bp >= 0 else '−'}{abs(offer.spread_min_bp)}bp"
    reasons = [
        Reason(
            "filters",
            "prefecture, tier, amount, term, collateral, rate ceiling and industry all fit",
            "州市、梯度、金额、期限、担保方式、利率上限和行业均符合",
        ),
        Reason(
            "rate", f"rate from {_pct(rate)} ({spread})", f"利率低至 {_pct(rate)}（{spread}）", _hundredths(rate_pts)
        ),
    ]
    total = rate_pts
    if need.paired_bank_id is not None and offer.bank_id == need.paired_bank_id:
        total += 2500
        reasons.append(Reason("paired_bank", "the enterprise's paired bank", "企业的结对银行", _hundredths(2500)))
    rec_pts = _record_points(record)
    total += rec_pts
    if record is None or record.responses < MIN_RECORD:
        reasons.append(
            Reason(
                "response_record", "no response record yet (neutral)", "暂无响应记录（按中等计）", _hundredths(rec_pts)
            )
        )
    else:
        share = f"{record.on_time}/{record.responses}"
        reasons.append(
            Reason("response_record", f"responded on time {share}", f"按时响应 {share}", _hundredths(rec_pts))
        )
    if offer.product_type == ProductType.SRDI_LOAN and need.tier_rank >= SRDI_RANK:
        total += 1000
        reasons.append(Reason("srdi_dedicated", "SRDI-dedicated product", "专精特新专属产品", _hundredths(1000)))
    if not offer.collateral:
        total += 500
        reasons.append(
            Reason("no_collateral", "no collateral required (credit)", "无需抵质押（信用）", _hundredths(500))
        )
    return total, tuple(reasons)


def _sort_key(m: Match) -> tuple[Decimal, int, str]:
    return (-m.score, m.rate_from_bp, m.product_id)


def match_need(
    need: NeedFacts,
    offers: Sequence[Offer],
    lpr: Lpr,
    records: Mapping[str, BankRecord],
    limit: int | None = None,
) -> tuple[list[Match], list[Rejection]]:
    """The reference: every product through every filter, then the score; ranked, explained."""
    matches: list[Match] = []
    rejections: list[Rejection] = []
    for offer in offers:
        failed = failed_filters(need, offer, lpr)
        if failed:
            rejections.append(Rejection(offer.product_id, tuple(failed)))
            continue
        points, reasons = explain(need, offer, lpr, records.get(offer.bank_id))
        rate = lpr.for_term(need.term_months) + offer.spread_min_bp
        matches.append(Match(offer.product_id, offer.bank_id, _hundredths(points), rate, reasons))
    matches.sort(key=_sort_key)
    return (matches if limit is None else matches[:limit]), rejections


class ProductIndex:
    """The products as columns, for matching many needs: filters and scores in NumPy, explanations
    only for the products returned. Build one per matching run (products and records are a snapshot)."""

    def __init__(self, offers: Sequence[Offer], lpr: Lpr, records: Mapping[str, BankRecord]) -> None:
        # Stable order first: product id, so that equal keys fall back to id order.
        self.offers = sorted(offers, key=lambda o: o.product_id)
        self.lpr = lpr
        self.records = dict(records)
        o = self.offers
        self._amount_min = np.array([x.amount_min_fen for x in o], dtype=np.int64)
        self._amount_max = np.array([x.amount_max_fen for x in o], dtype=np.int64)
        self._term_min = np.array([x.term_min_months for x in o], dtype=np.int64)
        self._term_max = np.array([x.term_max_months for x in o], dtype=np.int64)
        self._spread = np.array([x.spread_min_bp for x in o], dtype=np.int64)
        self._min_tier = np.array([x.min_tier_rank for x in o], dtype=np.int64)
        self._no_collateral = np.array([not x.collateral for x in o], dtype=bool)
        self._all_prefectures = np.array([not x.prefectures for x in o], dtype=bool)
        self._all_industries = np.array([not x.industries for x in o], dtype=bool)
        self._srdi_loan = np.array([x.product_type == ProductType.SRDI_LOAN for x in o], dtype=bool)
        self._types = np.array([x.product_type for x in o], dtype=object)
        self._bank_ids = np.array([x.bank_id for x in o], dtype=object)
        self._rate_pts = np.clip(16 * (200 - self._spread), 0, 4000)
        self._record_pts = np.array([_record_points(self.records.get(x.bank_id)) for x in o], dtype=np.int64)
        self._base_pts = self._rate_pts + self._record_pts + np.where(self._no_collateral, 500, 0)
        self._ids = np.array([x.product_id for x in o], dtype=object)
        self._prefecture_masks: dict[str, np.ndarray] = {}
        self._collateral_masks: dict[frozenset[str], np.ndarray] = {}
        self._industry_masks: dict[str, np.ndarray] = {}
        self._type_masks: dict[frozenset[str], np.ndarray] = {}
        self._bank_masks: dict[str, np.ndarray] = {}

    def _prefecture(self, code: str) -> np.ndarray:
        mask = self._prefecture_masks.get(code)
        if mask is None:
            mask = self._all_prefectures | np.array([code in x.prefectures for x in self.offers], dtype=bool)
            self._prefecture_masks[code] = mask
        return mask

    def _collateral(self, offered: frozenset[str]) -> np.ndarray:
        mask = self._collateral_masks.get(offered)
        if mask is None:
            mask = self._no_collateral | np.array([bool(x.collateral & offered) for x in self.offers], dtype=bool)
            self._collateral_masks[offered] = mask
        return mask

    def _industry(self, code: str) -> np.ndarray:
        mask = self._industry_masks.get(code)
        if mask is None:
            mask = np.array([industry_served(x, code) for x in self.offers], dtype=bool)
            self._industry_masks[code] = mask
        return mask

    def _type(self, types: frozenset[str]) -> np.ndarray:
        mask = self._type_masks.get(types)
        if mask is None:
            mask = np.isin(self._types, list(types))
            self._type_masks[types] = mask
        return mask

    def _bank(self, bank_id: str) -> np.ndarray:
        mask = self._bank_masks.get(bank_id)
        if mask is None:
            mask = self._bank_ids == bank_id
            self._bank_masks[bank_id] = mask
        return mask

    def match(self, need: NeedFacts, limit: int | None = None) -> list[Match]:
        if not self.offers:
            return []
        lpr_bp = self.lpr.for_term(need.term_months)
        ok = (
            (self._amount_min <= need.amount_fen)
            & (self._amount_max >= need.amount_fen)
            & (self._term_min <= need.term_months)
            & (self._term_max >= need.term_months)
            & (self._min_tier <= need.tier_rank)
            & self._prefecture(need.prefecture_code)
            & self._collateral(need.collateral_offered)
        )
        if need.max_rate_bp is not None:
            ok &= (lpr_bp + self._spread) <= need.max_rate_bp
        if need.product_types:
            ok &= self._type(need.product_types)
        if not self._all_industries.all():
            ok &= self._industry(need.industry_code)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return []
        points = self._base_pts[idx].copy()
        if need.tier_rank >= SRDI_RANK:
            points += np.where(self._srdi_loan[idx], 1000, 0)
        if need.paired_bank_id is not None:
            points += np.where(self._bank(need.paired_bank_id)[idx], 2500, 0)
        # lexsort: last key primary. idx is in product-id order, so a stable sort keeps id as the final tie-break.
        order = np.lexsort((idx, self._spread[idx], -points))
        if limit is not None:
            order = order[:limit]
        result: list[Match] = []
        for pos in order:
            offer = self.offers[int(idx[pos])]
            total, reasons = explain(need, offer, self.lpr, self.records.get(offer.bank_id))
            result.append(
                Match(offer.product_id, offer.bank_id, _hundredths(total), lpr_bp + offer.spread_min_bp, reasons)
            )
        return result
