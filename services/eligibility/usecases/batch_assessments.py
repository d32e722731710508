"""Re-assessing a batch of registry events (an imported register arriving) in one go.

The effect is that of :func:`~services.eligibility.usecases.assessments.reassess_from_snapshot`
applied to each event in order, in the same transaction — the same projection, tier statuses and
events, in the same order — with the database work set-based: one SELECT of the batch's projection
rows and one of their tier statuses (instead of two per event), the new rows flushed together at
commit.

Decide eagerly, explain lazily: a batch of at least ``vectorised_min`` assessments is decided on the
vectorised path (``domain.batch``: every enterprise × every tier at once, with each tier's gap count
from ``domain.batch.gap_counts``), which gives every field the scalar path announces and stores in
the tier statuses (decision, eligibility, score, route, gaps). The stored assessments then hold those
outcomes, marked unexplained; the first reader of one has it explained by the scalar engine from the
snapshot it was made from (:func:`~services.eligibility.usecases.assessments.explain_assessment`) —
exactly what the scalar path would have stored. Rows the batch columns cannot hold (money beyond their
range) and small batches are assessed on the scalar path, explanations included, as before. The
CPU-bound part runs in one worker thread for the batch, so that the event loop (Kafka heartbeats,
other partitions' batches) keeps going meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select

from services.eligibility.contract.response import tier_result_out
from services.eligibility.domain.batch.assess import DECISION_CODES, PASSED_VIA_CODES
from services.eligibility.domain.batch.gap_counts import assess_batch_with_gaps
from services.eligibility.domain.columns.encode import encode_fitting
from services.eligibility.domain.rulebook.loading import RuleBook, default_rule_book
from services.eligibility.persistence.tables import Assessment, FactsProjection, TierStatus
from services.eligibility.usecases.assessments import assess_snapshot, outcome, record_outcomes, store_projection
from services.eligibility.usecases.projection import facts_from_snapshot
from shared.events.catalogue import EnterpriseSnapshot, TierOutcome
from shared.uow import UnitOfWork

VECTORISED_MIN = 32
# Per assessment: the tier outcomes, and the explained results to store (None: decided unexplained).
Decided = tuple[list[TierOutcome], list[dict[str, Any]] | None]


def decide_scalar(snapshot: EnterpriseSnapshot, year: int, book: RuleBook | None) -> Decided:
    results = assess_snapshot(snapshot, year, book)
    return [outcome(r) for r in results], [tier_result_out(r).model_dump(mode="json") for r in results]


def decide_all(
    snapshots: Sequence[EnterpriseSnapshot], year: int, book: RuleBook | None, vectorised_min: int
) -> list[Decided]:
    """Each snapshot's outcomes: vectorised for a batch of at least ``vectorised_min``; on the scalar
    path the rows the columns cannot hold, a snapshot that a later one in the batch replaces (its
    facts will not be held to explain it from) and smaller batches (CPU-bound: run in a thread)."""
    if len(snapshots) < vectorised_min:
        return [decide_scalar(s, year, book) for s in snapshots]
    book = book or default_rule_book()
    last = {s.uscc: index for index, s in enumerate(snapshots)}
    replaced = [index for index, s in enumerate(snapshots) if last[s.uscc] != index]
    kept = [index for index, s in enumerate(snapshots) if last[s.uscc] == index]
    columns, fitting, misfits = encode_fitting([facts_from_snapshot(snapshots[i], year) for i in kept], year)
    rows = [kept[i] for i in fitting]
    decided: list[Decided | None] = [None] * len(snapshots)
    if rows:
        tiers = assess_batch_with_gaps(columns, book=book)
        for position, index in enumerate(rows):
            outcomes = []
            for found, gaps in tiers.values():
                decision = DECISION_CODES[int(found.decision[position])]
                passed_via = PASSED_VIA_CODES[int(found.passed_via[position])]
                outcomes.append(
                    TierOutcome(
                        tier=found.tier, rule_set=found.rule_set, eligible=bool(found.eligible[position]),
                        decision=decision, score=None if found.score is None else int(found.score[position]),
                        passed_via=passed_via, gaps=int(gaps[position]),
                    )
                )  # fmt: skip
            decided[index] = (outcomes, None)
    for index in [kept[i] for i in misfits] + replaced:
        decided[index] = decide_scalar(snapshots[index], year, book)
    return [d for d in decided if d is not None]


async def reassess_snapshots(
    uow: UnitOfWork,
    items: Sequence[tuple[EnterpriseSnapshot, str]],
    year: int,
    book: RuleBook | None = None,
    vectorised_min: int = VECTORISED_MIN,
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

    snapshots = [items[index][0] for index in applied]
    decided = await asyncio.to_thread(decide_all, snapshots, year, book, vectorised_min)
    recorded: list[Assessment | None] = [None] * len(items)
    for index, (outcomes, stored) in zip(applied, decided, strict=True):
        snapshot, trigger = items[index]
        recorded[index] = await record_outcomes(
            uow, snapshot, outcomes, stored, year, trigger, previous=statuses[snapshot.uscc]
        )
    return recorded
