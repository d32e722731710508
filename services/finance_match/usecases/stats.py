"""Statistics: the funnel (needs that reached each stage), amounts, response times and overdue
shares, per prefecture, bank, tier and month; and the per-bank response league table."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlmodel import select

from services.finance_match.domain.vocabulary import TIERS, NeedState
from services.finance_match.persistence.tables import Bank, Need, NeedShare, NeedTransition
from shared.uow import UnitOfWork

FUNNEL = [s.value for s in NeedState]
REACHED_VIA = {
    "posted": set(FUNNEL),
    "matched": {"matched", "accepted", "approved", "disbursed"},
    "accepted": {"accepted", "approved", "disbursed"},
    "approved": {"approved", "disbursed"},
    "disbursed": {"disbursed"},
}


def _empty() -> dict[str, int]:
    return dict.fromkeys(FUNNEL, 0)


async def compute(uow: UnitOfWork, prefecture: str | None = None) -> dict[str, Any]:
    query = select(Need)
    if prefecture is not None:
        query = query.where(Need.prefecture_code == prefecture)
    need_rows = list((await uow.session.execute(query)).scalars())
    ids = {n.id for n in need_rows}
    reached: dict[str, set[str]] = defaultdict(set)
    for need_id, to_state in (await uow.session.execute(select(NeedTransition.need_id, NeedTransition.to_state))).all():
        if need_id in ids:
            reached[need_id].add(to_state)
    funnel = _empty()
    by_prefecture: dict[str, dict[str, int]] = defaultdict(_empty)
    by_tier: dict[str, dict[str, int]] = defaultdict(_empty)
    by_month: dict[str, dict[str, int]] = defaultdict(_empty)
    requested = approved = disbursed = Decimal("0")
    for need in need_rows:
        states = reached[need.id] | {need.state, "posted"}
        tier = TIERS[need.tier_rank - 1] if need.tier_rank else "none"
        for stage in FUNNEL:
            hit = bool(states & REACHED_VIA[stage]) if stage in REACHED_VIA else need.state == stage
            if hit:
                for bucket in (
                    funnel,
                    by_prefecture[need.prefecture_code],
                    by_tier[tier],
                    by_month[need.posted_at.strftime("%Y-%m")],
                ):
                    bucket[stage] += 1
        requested += need.amount
        approved += need.approved_amount or 0
        disbursed += need.disbursed_amount or 0
    shares = [s for s in (await uow.session.execute(select(NeedShare))).scalars() if s.need_id in ids]
    banks = {b.id: b for b in (await uow.session.execute(select(Bank))).scalars()}
    league = league_table(shares, need_rows, banks)
    return {
        "funnel": funnel,
        "amounts": {"requested": f"{requested:.2f}", "approved": f"{approved:.2f}", "disbursed": f"{disbursed:.2f}"},
        "overdue": sum(1 for s in shares if s.overdue_at is not None and s.response is None),
        "by_prefecture": [{"prefecture_code": code} | counts for code, counts in sorted(by_prefecture.items())],
        "by_bank": league,
        "by_tier": [{"tier": tier} | counts for tier, counts in sorted(by_tier.items())],
        "by_month": [{"month": month} | counts for month, counts in sorted(by_month.items())],
    }


def league_table(shares: list[NeedShare], need_rows: list[Need], banks: dict[str, Bank]) -> list[dict[str, Any]]:
    """Per bank: needs accepted, median response in working days, responses on time, overdue shares;
    ranked by on-time share, then median response, then bank id."""
    accepted: dict[str, int] = defaultdict(int)
    for need in need_rows:
        if need.bank_id:
            accepted[need.bank_id] += 1
    per_bank: dict[str, list[NeedShare]] = defaultdict(list)
    for share in shares:
        per_bank[share.bank_id].append(share)
    rows = []
    for bank_id in sorted(set(per_bank) | set(accepted)):
        mine = per_bank.get(bank_id, [])
        took = [s.response_working_days for s in mine if s.response_working_days is not None]
        committed = banks[bank_id].response_working_days if bank_id in banks else 3
        on_time = sum(1 for t in took if t <= committed)
        median = statistics.median(took) if took else None
        rows.append(
            {
                "bank_id": bank_id,
                "name": banks[bank_id].name if bank_id in banks else bank_id,
                "shared": len(mine),
                "responded": len(took),
                "accepted": accepted.get(bank_id, 0),
                "median_response_working_days": None if median is None else str(Decimal(str(median))),
                "on_time": on_time,
                "on_time_rate": None if not took else str((Decimal(on_time) / len(took)).quantize(Decimal("0.0001"))),
                "committed_working_days": committed,
                "overdue": sum(1 for s in mine if s.overdue_at is not None and s.response is None),
            }
        )

    def rank_key(row: dict[str, Any]) -> tuple[Decimal, Decimal, str]:
        rate = Decimal(str(row["on_time_rate"])) if row["on_time_rate"] else Decimal(-1)
        median = Decimal(str(row["median_response_working_days"] or 999))
        return (-rate, median, str(row["bank_id"]))

    rows.sort(key=rank_key)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows
