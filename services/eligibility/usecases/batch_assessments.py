"""Re-assessing a batch of registry events (an imported register arriving) in one go.

The effect is exactly that of :func:`~services.eligibility.usecases.assessments.reassess_from_snapshot`
applied to each event in order, in the same transaction — the same projection, assessments, tier
statuses and events, in the same order — with the database work set-based: one SELECT of the
batch's projection rows and one of their tier statuses (instead of two per event), the new rows
flushed together at commit. The assessments themselves (explanations and gaps included, which every
stored assessment and ``eligibility.assessed`` event carries) run in one worker thread for the
batch, so that the event loop (Kafka heartbeats, other partitions' batches) keeps going meanwhile.

Why not the vectorised path (``domain.batch``): it answers decision, score and route only — no
explanations, no gaps — so it cannot write the record the scalar handler writes. It stays the tool
for questions that need no record (a register-wide re-assessment finds the flipped rows with it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlmodel import col, select

from services.eligibility.domain.engine.results import TierResult
from services.eligibility.domain.rulebook.loading import RuleBook
from services.eligibility.persistence.tables import Assessment, FactsProjection, TierStatus
from services.eligibility.usecases.assessments import assess_snapshot, record_assessment, store_projection
from shared.events.catalogue import EnterpriseSnapshot
from shared.uow import UnitOfWork


async def reassess_snapshots(
    uow: UnitOfWork,
    items: Sequence[tuple[EnterpriseSnapshot, str]],
    year: int,
    book: RuleBook | None = None,
) -> list[Assessment | None]:
    """(snapshot, trigger) pairs in event order → per item its new assessment, or None where a newer
    snapshot was already held (as the scalar handler returns)."""
    usccs = list(dict.fromkeys(snapshot.uscc for snapshot, _ in items))
    projections: dict[str, FactsProjection] = {
        row.uscc: row
        for row in await uow.session.exec(select(FactsProjection).where(col(FactsProjection.uscc).in_(usccs)))
    }
    statuses: dict[str, dict[str, TierStatus]] = {uscc: {} for uscc in usccs}
    for status in await uow.session.exec(select(TierStatus).where(col(TierStatus.uscc).in_(usccs))):
        statuses[status.uscc][status.tier] = status

    applied: list[int] = []
    for index, (snapshot, _) in enumerate(items):
        row = store_projection(uow, projections.get(snapshot.uscc), snapshot)
        if row is not None:
            projections[snapshot.uscc] = row
            applied.append(index)

    def assess_all() -> list[list[TierResult]]:
        return [assess_snapshot(items[index][0], year, book) for index in applied]

    results = await asyncio.to_thread(assess_all)
    outcome: list[Assessment | None] = [None] * len(items)
    for index, tier_results in zip(applied, results, strict=True):
        snapshot, trigger = items[index]
        outcome[index] = await record_assessment(
            uow, snapshot, tier_results, year, trigger, previous=statuses[snapshot.uscc]
        )
    return outcome
