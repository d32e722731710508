"""Re-assessing the whole register (after a rule change): the vectorised path decides every
enterprise and tier at once; only enterprises whose eligibility flipped are re-assessed in full
(with explanations), stored and announced."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from services.eligibility.domain.batch.assess import assess_batch
from services.eligibility.domain.columns.encode import encode_fitting
from services.eligibility.domain.rulebook.loading import RuleBook
from services.eligibility.persistence.tables import FactsProjection, ReassessmentJob, TierStatus
from services.eligibility.usecases.assessments import assess_snapshot, record_assessment
from services.eligibility.usecases.projection import facts_from_snapshot
from shared.events.catalogue import EnterpriseSnapshot
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)
CHUNK = 5000


def flipped_rows(snapshots: list[EnterpriseSnapshot], year: int, book: RuleBook,
                 current: dict[tuple[str, str], bool]) -> list[int]:  # fmt: skip
    """Rows whose batch decision differs from the stored status for any tier (CPU-bound: run in a thread).
    Rows the batch columns cannot hold (money beyond their range) are re-assessed on the scalar path."""
    columns, rows, misfits = encode_fitting([facts_from_snapshot(s, year) for s in snapshots], year)
    results = assess_batch(columns, book=book)
    changed = set(misfits)
    for tier, result in results.items():
        eligible = result.eligible
        for position, row in enumerate(rows):
            if current.get((snapshots[row].uscc, tier)) != bool(eligible[position]):
                changed.add(row)
    return sorted(changed)


async def run_reassessment(runtime: ServiceRuntime, job_id: str, year: int, book: RuleBook) -> None:
    try:
        # From the start (again, if an orphaned job is resumed: re-assessing is idempotent).
        await _set(runtime, job_id, status="running", processed=0, flipped=0, error=None)
        after = ""
        while True:
            async with runtime.uow() as uow:
                page = select(FactsProjection).where(FactsProjection.uscc > after)
                rows = list(await uow.session.exec(page.order_by(col(FactsProjection.uscc)).limit(CHUNK)))
                statuses = await uow.session.exec(
                    select(TierStatus.uscc, TierStatus.tier, TierStatus.eligible).where(
                        col(TierStatus.uscc).in_([r.uscc for r in rows])
                    )
                )
                current = {(uscc, tier): eligible for uscc, tier, eligible in statuses}
            if not rows:
                break
            snapshots = [EnterpriseSnapshot.model_validate(r.snapshot) for r in rows]
            changed = await asyncio.to_thread(flipped_rows, snapshots, year, book, current)
            await _reassess(runtime, [snapshots[i] for i in changed], year, book)
            await _progress(runtime, job_id, len(rows), len(changed))
            after = rows[-1].uscc
        await _set(runtime, job_id, status="done", finished_at=datetime.now(UTC))
    except Exception as error:
        log.exception("re-assessment %s failed", job_id)
        await _set(runtime, job_id, status="failed", error=str(error)[:500], finished_at=datetime.now(UTC))


async def _reassess(runtime: ServiceRuntime, snapshots: list[EnterpriseSnapshot], year: int, book: RuleBook) -> None:
    for snapshot in snapshots:
        async with runtime.uow() as uow:
            results = await asyncio.to_thread(assess_snapshot, snapshot, year, book)
            await record_assessment(uow, snapshot, results, year, trigger="reassessment")
            await uow.commit()


async def _set(runtime: ServiceRuntime, job_id: str, **values: Any) -> None:
    async with runtime.uow() as uow:
        await uow.session.execute(update(ReassessmentJob).where(col(ReassessmentJob.id) == job_id).values(**values))
        await uow.commit()


async def _progress(runtime: ServiceRuntime, job_id: str, processed: int, flipped: int) -> None:
    job = ReassessmentJob
    await _set(runtime, job_id, processed=job.processed + processed, flipped=job.flipped + flipped)
