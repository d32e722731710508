"""Building seed banks (种子库) and the little-giant target list (目标名单) from the projection.

The candidates' facts go into columns once and are ranked on the vectorised path
(`domain/roadmaps/seedbank_batch.py`); the scalar engine stays the explanation of one enterprise's
gaps (its assessment and roadmap), and gives the same closeness (a property test holds them together).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from sqlmodel import select

from services.eligibility.api.serialize import to_jsonable
from services.eligibility.domain.roadmaps.seedbank import Candidate, build_seed_bank
from services.eligibility.domain.roadmaps.seedbank import SeedBank as SeedBankResult
from services.eligibility.domain.rulebook.loading import RuleBook
from services.eligibility.domain.vocabulary import Decision, Tier
from services.eligibility.persistence.tables import FactsProjection, SeedBank
from services.eligibility.usecases.projection import facts_from_snapshot
from shared.events.catalogue import EnterpriseSnapshot
from shared.uow import UnitOfWork

# The target list keeps the candidates that are eligible or nearly so (share of checks passed).
TARGET_LIST_MIN_CLOSENESS = Fraction(4, 5)


async def load_candidates(uow: UnitOfWork, year: int, prefecture: str | None) -> tuple[list[Candidate], dict[str, str]]:
    query = select(FactsProjection)
    if prefecture:
        query = query.where(FactsProjection.prefecture_code == prefecture)
    candidates, names = [], {}
    for row in await uow.session.exec(query):
        snapshot = EnterpriseSnapshot.model_validate(row.snapshot)
        # The targets file names prefectures by their full 6-digit division code (5301 → 530100).
        candidates.append(Candidate(row.uscc, f"{row.prefecture_code}00", facts_from_snapshot(snapshot, year)))
        names[row.uscc] = row.name
    return candidates, names


def compute(candidates: list[Candidate], year: int, tier: Tier, book: RuleBook, kind: str) -> SeedBankResult:
    """CPU-bound (the route runs it in a thread): pool, closeness and ranking on the vectorised path."""
    bank = build_seed_bank(candidates, year, tier, book=book)
    if kind == "target_list":
        kept = tuple(
            c for c in bank.selected if c.decision is Decision.ELIGIBLE or c.closeness >= TARGET_LIST_MIN_CLOSENESS
        )
        bank = SeedBankResult(**{**{f: getattr(bank, f) for f in bank.__dataclass_fields__}, "selected": kept})
    return bank


def to_row(bank: SeedBankResult, names: dict[str, str], kind: str, scope: str, created_by: str) -> SeedBank:
    entries: list[dict[str, Any]] = [
        to_jsonable(candidate)
        | {"rank": rank, "name": names.get(candidate.enterprise_id, ""), "prefecture": candidate.prefecture[:4]}
        for rank, candidate in enumerate(bank.selected, start=1)
    ]
    by_prefecture: dict[str, int] = {}
    for candidate in bank.selected:
        by_prefecture[candidate.prefecture[:4]] = by_prefecture.get(candidate.prefecture[:4], 0) + 1
    return SeedBank(
        id=str(uuid.uuid4()), kind=kind, year=bank.year, tier=bank.tier, growth_target=math.ceil(bank.growth_target),
        multiple=bank.multiplier, filing_deadline=bank.filing_deadline.isoformat() if bank.filing_deadline else "",
        scope=scope, size=len(entries), required_size=bank.required_size, pool_size=bank.pool_size,
        shortfall=bank.shortfall, rule_set=bank.rule_set, per_prefecture=by_prefecture, entries=entries,
        created_by=created_by, created_at=datetime.now(UTC),
    )  # fmt: skip
