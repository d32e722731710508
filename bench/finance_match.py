"""Match 10,000 open financing needs against 1,000 bank products: the service's NumPy index vs the
naive loop (every product through every filter in Python, then score, explain, sort) on the same data.

    .venv/bin/python -m bench.finance_match [--needs 10000] [--products 1000] [--sample 1000] [--top 10]

The index runs on every need; the naive loop on the first ``--sample`` needs (it is the slow one) and
its rate is what is compared. Both must give the same top ``--top`` for the sampled needs (checked).
Writes ``bench/results/finance_match.json`` ({"results": [{name, value, unit, anchor, anchor_value,
ratio}]}, ratio = ours ÷ anchor, higher is better).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time

from bench.results import results_dir
from services.finance_match.domain.matching import BankRecord, Lpr, NeedFacts, Offer, ProductIndex, match_need

PREFECTURES = ["5301", "5303", "5304", "5305", "5306", "5307", "5308", "5309", "5323", "5325", "5326", "5328",
               "5329", "5331", "5333", "5334"]  # fmt: skip
TYPES = ["credit_loan", "ip_pledge", "movable_pledge", "guarantee", "srdi_loan", "insurance"]
COLLATERAL = ["ip", "movable", "receivables", "guarantee", "real_estate", "insurance"]
TIERS = ["innovative_sme", "srdi_sme", "little_giant", "single_champion"]
INDUSTRIES = ["C", "C39", "C38", "C26", "I", "I65", "M"]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


def offers(rng: random.Random, count: int) -> list[Offer]:
    result = []
    for i in range(count):
        low = rng.choice([5_000_000, 10_000_000, 50_000_000, 100_000_000, 300_000_000])  # fen
        result.append(Offer(
            product_id=f"p-{i:05d}", bank_id=f"bank-{rng.randint(1, 40):02d}", product_type=rng.choice(TYPES),
            amount_min_fen=low, amount_max_fen=low * rng.choice([10, 30, 100, 300]),
            term_min_months=rng.choice([1, 3, 6, 12]), term_max_months=rng.choice([12, 24, 36, 60, 120]),
            spread_min_bp=rng.choice([-40, -20, 0, 10, 25, 50, 80, 120, 180]),
            tiers=frozenset(rng.sample(TIERS[:3], rng.choice([0, 0, 1]))),
            prefectures=frozenset(rng.sample(PREFECTURES, rng.choice([16, 8, 4, 2, 1]))),
            industries=tuple(rng.sample(INDUSTRIES, rng.choice([0, 0, 0, 1, 2]))),
            collateral=frozenset(rng.sample(COLLATERAL, rng.choice([0, 0, 1, 2]))),
        ))  # fmt: skip
    return result


def needs(rng: random.Random, count: int) -> list[NeedFacts]:
    industries = ["C3985", "C3971", "C2614", "C3811", "I6510", "M7320", "A0111"]
    return [
        NeedFacts(
            need_id=f"n-{i:06d}", amount_fen=rng.choice([50, 100, 200, 500, 1000, 3000]) * 1_000_000,
            term_months=rng.choice([6, 12, 24, 36, 60, 84]), prefecture_code=rng.choice(PREFECTURES),
            industry_code=rng.choice(industries), tier_rank=rng.randint(0, 4),
            collateral_offered=frozenset(rng.sample(COLLATERAL, rng.choice([0, 1, 2]))),
            max_rate_bp=rng.choice([None, 360, 400, 450, 500]),
            product_types=frozenset(rng.sample(TYPES, rng.choice([0, 0, 1, 2]))),
            paired_bank_id=f"bank-{rng.randint(1, 40):02d}",
        )
        for i in range(count)
    ]  # fmt: skip


def main() -> None:
    args = parse()
    rng = random.Random(args.seed)
    lpr = Lpr(300, 350)
    products = offers(rng, args.products)
    open_needs = needs(rng, args.needs)
    records = {f"bank-{b:02d}": BankRecord(n, rng.randint(0, n)) for b in range(1, 41) for n in [rng.randint(0, 30)]}

    started = time.perf_counter()
    index = ProductIndex(products, lpr, records)
    ours_top = [index.match(need, limit=args.top) for need in open_needs]
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    full_index = ProductIndex(products, lpr, records)
    ours_full = [full_index.match(need) for need in open_needs[: args.sample]]
    full_seconds = time.perf_counter() - started

    sample = open_needs[: args.sample]
    started = time.perf_counter()
    naive = [match_need(need, products, lpr, records)[0] for need in sample]
    naive_seconds = time.perf_counter() - started

    wrong = sum(ours_top[i] != naive[i][: args.top] for i in range(len(sample)))
    wrong += sum(ours_full[i] != naive[i] for i in range(len(sample)))
    if wrong:
        raise SystemExit(f"{wrong} sampled needs ranked differently by the index and the naive loop")

    ours_rate = len(open_needs) / ours_seconds
    full_rate = len(sample) / full_seconds
    naive_rate = len(sample) / naive_seconds
    matched = sum(len(m) for m in naive) / len(sample)
    py = platform.python_version()
    print(
        f"finance_match bench — {args.needs:,} needs × {args.products:,} products; python {py}, {os.cpu_count()} CPUs"
    )
    print(f"  average products passing the hard filters per need: {matched:.1f}")
    print(
        f"  index, top {args.top} explained : {ours_seconds:8.2f} s for {len(open_needs):,} needs"
        f" = {ours_rate:10.0f} needs/s"
    )
    print(f"  index, full ranked list : {full_seconds:8.2f} s for {len(sample):,} needs = {full_rate:10.0f} needs/s")
    print(f"  naive loop (reference)  : {naive_seconds:8.2f} s for {len(sample):,} needs = {naive_rate:10.0f} needs/s"
          f"  (→ {args.needs / naive_rate:.1f} s for all {args.needs:,})")  # fmt: skip
    print(f"  speed-up: top {args.top} ×{ours_rate / naive_rate:.1f}, full list ×{full_rate / naive_rate:.1f}; "
          f"identical rankings on {len(sample):,} sampled needs")  # fmt: skip
    anchor = f"naive Python loop over every product (same filters, score, explanations; {len(sample):,}-need sample)"
    naive_shown = round(naive_rate, 1)
    top_shown, full_shown = round(ours_rate, 1), round(full_rate, 1)
    # The ratio of the figures as shown (not of the unrounded rates), so that value ÷ anchor_value = ratio.
    results = [
        {"name": f"finance_match: needs matched per second, top {args.top} explained "
                 f"({args.needs:,} needs × {args.products:,} products)",
         "value": top_shown, "unit": "needs/s", "anchor": anchor, "anchor_value": naive_shown,
         "ratio": round(top_shown / naive_shown, 4)},
        {"name": f"finance_match: needs matched per second, full ranked list ({args.products:,} products)",
         "value": full_shown, "unit": "needs/s", "anchor": anchor, "anchor_value": naive_shown,
         "ratio": round(full_shown / naive_shown, 4)},
    ]  # fmt: skip
    if not args.no_write:
        fragment = results_dir() / "finance_match.json"  # SRDI_BENCH_RESULTS in the tests' tiny runs
        fragment.write_text(json.dumps({"results": results}, ensure_ascii=False, indent=2) + "\n")
        print(f"  written: {fragment}")


if __name__ == "__main__":
    main()
