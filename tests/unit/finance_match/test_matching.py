"""Matching: each hard filter rejects and says why (zh + en), the score ranks, ties break stably,
and the NumPy index the service runs agrees with the plain reference loop."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from services.finance_match.domain.matching import (
    BankRecord,
    Lpr,
    NeedFacts,
    Offer,
    ProductIndex,
    match_need,
)

LPR = Lpr(300, 350)
NEED = NeedFacts(need_id="n1", amount_fen=200_000_000, term_months=24, prefecture_code="5301",
                 industry_code="C3985", tier_rank=2, collateral_offered=frozenset({"ip"}), max_rate_bp=450)  # fmt: skip
OFFER = Offer(product_id="p-base", bank_id="bank-a", product_type="credit_loan", amount_min_fen=10_000_000,
              amount_max_fen=1_000_000_000, term_min_months=6, term_max_months=36, spread_min_bp=50)  # fmt: skip


def codes(offer: Offer, need: NeedFacts = NEED) -> list[str]:
    _, rejected = match_need(need, [offer], LPR, {})
    return [r.code for rejection in rejected for r in rejection.failed]


@pytest.mark.parametrize(
    ("offer", "need", "code"),
    [
        (replace(OFFER, prefectures=frozenset({"5325"})), NEED, "prefecture"),
        (replace(OFFER, tiers=frozenset({"little_giant"})), NEED, "tier"),
        (replace(OFFER, amount_max_fen=100_000_000), NEED, "amount"),
        (replace(OFFER, amount_min_fen=300_000_000), NEED, "amount"),
        (replace(OFFER, term_max_months=12), NEED, "term"),
        (replace(OFFER, collateral=frozenset({"real_estate"})), NEED, "collateral"),
        (replace(OFFER, spread_min_bp=200), NEED, "rate"),  # 3.00 + 2.00 = 5.00 % > 4.50 %
        (OFFER, replace(NEED, product_types=frozenset({"ip_pledge"})), "product_type"),
        (replace(OFFER, industries=("I65",)), NEED, "industry"),
    ],
)
def test_each_hard_filter_rejects_with_its_reason(offer: Offer, need: NeedFacts, code: str) -> None:
    assert codes(offer, need) == [code]
    _, [rejection] = match_need(need, [offer], LPR, {})
    assert all(r.en and r.zh for r in rejection.failed)


def test_edges_are_inclusive() -> None:
    exact = replace(OFFER, amount_min_fen=NEED.amount_fen, amount_max_fen=NEED.amount_fen, term_min_months=24,
                    term_max_months=24, spread_min_bp=150, tiers=frozenset({"srdi_sme"}))  # fmt: skip
    assert codes(exact) == []  # rate exactly at the 4.50 % ceiling, tier exactly met


def test_a_lower_tier_product_serves_a_higher_tier_enterprise_and_collateral_any_of() -> None:
    assert codes(replace(OFFER, tiers=frozenset({"innovative_sme"}))) == []
    assert codes(replace(OFFER, collateral=frozenset({"ip", "movable"}))) == []
    assert codes(replace(OFFER, industries=("C39",))) == []


def test_the_rate_and_the_paired_bank_rank_and_every_reason_is_bilingual() -> None:
    cheap = replace(OFFER, product_id="p-cheap", bank_id="bank-b", spread_min_bp=-20)
    paired = replace(OFFER, product_id="p-paired", bank_id="bank-paired", spread_min_bp=80)
    dear = replace(OFFER, product_id="p-dear", bank_id="bank-c", spread_min_bp=120)
    need = replace(NEED, paired_bank_id="bank-paired")
    matches, rejected = match_need(need, [dear, cheap, paired], LPR, {})
    assert rejected == []
    assert [m.product_id for m in matches] == ["p-paired", "p-cheap", "p-dear"]
    top = matches[0]
    assert top.score == Decimal("59.20")  # rate 16×(200−80)=19.20, paired 25, record 10 (none), no collateral 5
    assert {r.code for r in top.reasons} >= {"rate", "paired_bank", "response_record", "no_collateral"}
    assert all(r.en and r.zh for m in matches for r in m.reasons)
    assert sum(r.points or 0 for r in top.reasons) == top.score
    assert matches[1].rate_from_percent == Decimal("2.80")


def test_a_good_response_record_lifts_a_bank() -> None:
    a = replace(OFFER, product_id="p-a", bank_id="bank-a")
    b = replace(OFFER, product_id="p-b", bank_id="bank-b")
    records = {"bank-a": BankRecord(10, 2), "bank-b": BankRecord(10, 10)}
    matches, _ = match_need(NEED, [a, b], LPR, records)
    assert [m.product_id for m in matches] == ["p-b", "p-a"]
    assert next(r for r in matches[0].reasons if r.code == "response_record").points == Decimal("20.00")


def test_ties_break_by_rate_then_product_id_whatever_the_input_order() -> None:
    twins = [replace(OFFER, product_id=f"p-{c}", bank_id=f"bank-{c}") for c in "dbca"]
    expected = ["p-a", "p-b", "p-c", "p-d"]
    for seed in range(5):
        shuffled = twins[:]
        random.Random(seed).shuffle(shuffled)
        assert [m.product_id for m in match_need(NEED, shuffled, LPR, {})[0]] == expected
        assert [m.product_id for m in ProductIndex(shuffled, LPR, {}).match(NEED)] == expected


def test_five_year_lpr_for_terms_above_five_years() -> None:
    long = replace(OFFER, term_max_months=120)
    [m] = match_need(replace(NEED, term_months=84, max_rate_bp=None), [long], LPR, {})[0]
    assert m.rate_from_bp == 350 + 50


def _random_offer(rng: random.Random, i: int) -> Offer:
    lo = rng.choice([10_000_000, 50_000_000, 100_000_000, 500_000_000])
    return Offer(
        product_id=f"p-{i:04d}", bank_id=f"bank-{rng.randint(1, 8)}",
        product_type=rng.choice(["credit_loan", "ip_pledge", "srdi_loan", "guarantee"]),
        amount_min_fen=lo, amount_max_fen=lo * rng.choice([5, 20, 100]), term_min_months=rng.choice([1, 6, 12]),
        term_max_months=rng.choice([12, 36, 60, 120]), spread_min_bp=rng.choice([-30, 0, 20, 50, 80, 150]),
        tiers=frozenset(rng.sample(["innovative_sme", "srdi_sme", "little_giant"], rng.randint(0, 1))),
        prefectures=frozenset(rng.sample(["5301", "5303", "5325", "5329"], rng.randint(0, 2))),
        industries=tuple(rng.sample(["C", "C39", "I"], rng.randint(0, 1))),
        collateral=frozenset(rng.sample(["ip", "movable", "guarantee"], rng.randint(0, 2))),
    )  # fmt: skip


def test_the_index_agrees_with_the_reference_on_random_data() -> None:
    rng = random.Random(7)
    offers = [_random_offer(rng, i) for i in range(300)]
    records = {f"bank-{i}": BankRecord(rng.randint(0, 9), 0) for i in range(1, 9)}
    records = {k: BankRecord(v.responses, rng.randint(0, v.responses)) for k, v in records.items()}
    index = ProductIndex(offers, LPR, records)
    for n in range(200):
        need = NeedFacts(
            need_id=f"n{n}", amount_fen=rng.choice([20_000_000, 200_000_000, 2_000_000_000]),
            term_months=rng.choice([6, 12, 24, 84]), prefecture_code=rng.choice(["5301", "5303", "5325", "5334"]),
            industry_code=rng.choice(["C3985", "I6510", "A0111"]), tier_rank=rng.randint(0, 4),
            collateral_offered=frozenset(rng.sample(["ip", "movable", "guarantee"], rng.randint(0, 2))),
            max_rate_bp=rng.choice([None, 350, 420]),
            product_types=frozenset(rng.sample(["ip_pledge", "srdi_loan"], rng.randint(0, 1))),
            paired_bank_id=rng.choice([None, "bank-1", "bank-3"]),
        )  # fmt: skip
        reference, _ = match_need(need, offers, LPR, records)
        assert index.match(need) == reference
        assert index.match(need, limit=5) == reference[:5]
