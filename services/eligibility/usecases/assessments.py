"""Assessing an enterprise from the projection, keeping the history, and telling others.

Every registry event that carries a new snapshot leads here: the projection is updated, all tiers
are assessed, the assessment is stored, the current status per tier updated, and
``eligibility.assessed`` emitted — plus ``eligibility.tier_changed`` for each tier whose eligibility
flipped (and on a first assessment only for tiers found eligible).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from services.eligibility.contract.response import tier_result_out
from services.eligibility.domain.engine.assess import assess
from services.eligibility.domain.engine.results import TierResult
from services.eligibility.domain.rulebook.loading import RuleBook
from services.eligibility.persistence.tables import Assessment, FactsProjection, TierStatus
from services.eligibility.usecases.projection import facts_from_snapshot
from shared.events.catalogue import EligibilityAssessed, EnterpriseSnapshot, TierChanged, TierOutcome
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


async def upsert_projection(uow: UnitOfWork, snapshot: EnterpriseSnapshot) -> FactsProjection | None:
    """Store the snapshot unless a newer one is already there (a replayed old event changes nothing)."""
    return store_projection(uow, await uow.session.get(FactsProjection, snapshot.uscc), snapshot)


def store_projection(
    uow: UnitOfWork, row: FactsProjection | None, snapshot: EnterpriseSnapshot
) -> FactsProjection | None:
    """:func:`upsert_projection` with the enterprise's row (or None) already read."""
    if row is not None and row.snapshot_version > snapshot.version:
        return None
    if row is None:
        row = FactsProjection(uscc=snapshot.uscc, name=snapshot.name, prefecture_code=snapshot.prefecture_code,
                              snapshot={}, snapshot_version=0, updated_at=_now())  # fmt: skip
    row.name = snapshot.name
    row.prefecture_code = snapshot.prefecture_code
    row.snapshot = snapshot.model_dump(mode="json")
    row.snapshot_version = snapshot.version
    row.updated_at = _now()
    uow.session.add(row)
    return row


def assess_snapshot(snapshot: EnterpriseSnapshot, year: int, book: RuleBook | None = None) -> list[TierResult]:
    return assess(facts_from_snapshot(snapshot, year), year, book=book)


async def record_assessment(
    uow: UnitOfWork,
    snapshot: EnterpriseSnapshot,
    results: list[TierResult],
    year: int,
    trigger: str,
    previous: dict[str, TierStatus] | None = None,
) -> Assessment:
    """Store the assessment, update each tier's status and announce it. ``previous``: the enterprise's
    statuses by tier when the caller has loaded them (a batch); it is kept current."""
    stored = [tier_result_out(r).model_dump(mode="json") for r in results]
    return await record_outcomes(uow, snapshot, [outcome(r) for r in results], stored, year, trigger, previous)


async def record_outcomes(
    uow: UnitOfWork,
    snapshot: EnterpriseSnapshot,
    outcomes: list[TierOutcome],
    stored: list[dict[str, Any]] | None,
    year: int,
    trigger: str,
    previous: dict[str, TierStatus] | None = None,
) -> Assessment:
    """:func:`record_assessment` from each tier's outcome. ``stored``: the explained results to keep;
    None when the outcomes were decided without explanations (the vectorised path): the assessment
    then keeps the outcomes, marked unexplained, for :func:`explain_assessment` to complete."""
    assessment = Assessment(
        id=str(uuid.uuid4()), uscc=snapshot.uscc, assessment_year=year, trigger=trigger,
        results=stored if stored is not None else [unexplained_result(o) for o in outcomes],
        assessed_at=_now(), explained=stored is not None, snapshot_version=snapshot.version,
    )  # fmt: skip
    uow.session.add(assessment)
    if previous is None:
        query = select(TierStatus).where(TierStatus.uscc == snapshot.uscc)
        previous = {s.tier: s for s in await uow.session.exec(query)}
    held = recognised_tiers(snapshot, date.today())
    for result in outcomes:
        status = previous.get(result.tier)
        was_eligible = status.eligible if status is not None else None
        previous[result.tier] = _upsert_status(uow, status, snapshot, result, assessment.id, result.tier in held)
        if was_eligible != result.eligible and (was_eligible is not None or result.eligible):
            uow.emit(
                TierChanged(
                    uscc=snapshot.uscc, tier=result.tier, eligible=result.eligible,
                    previously_eligible=was_eligible, rule_set=result.rule_set,
                    assessment_id=assessment.id, prefecture_code=snapshot.prefecture_code,
                )
            )  # fmt: skip
    uow.emit(
        EligibilityAssessed(
            uscc=snapshot.uscc, assessment_id=assessment.id, assessment_year=year,
            prefecture_code=snapshot.prefecture_code, results=outcomes,
        )
    )  # fmt: skip
    return assessment


def unexplained_result(found: TierOutcome) -> dict[str, Any]:
    """A tier's stored result before its explanation: the outcome, and how many gaps it has."""
    stored = found.model_dump(mode="json", exclude={"gaps", "score"})
    # As the explained result has it: a whole number (the event's Decimal would be a string in JSON).
    return stored | {"score": None if found.score is None else int(found.score), "gap_count": found.gaps}


def outcome(result: TierResult) -> TierOutcome:
    return TierOutcome(
        tier=result.tier, rule_set=result.rule_set, eligible=result.eligible, decision=result.decision,
        score=result.score, passed_via=result.passed_via, gaps=len(result.gaps),
    )  # fmt: skip


def recognised_tiers(snapshot: EnterpriseSnapshot, today: date) -> set[str]:
    return {r.tier for r in snapshot.recognitions if r.valid_from <= today <= r.valid_to}


def _upsert_status(
    uow: UnitOfWork, row: TierStatus | None, snapshot: EnterpriseSnapshot, result: TierOutcome,
    assessment_id: str, recognised: bool,
) -> TierStatus:  # fmt: skip
    values: dict[str, Any] = {
        "prefecture_code": snapshot.prefecture_code, "eligible": result.eligible, "decision": result.decision,
        "score": result.score, "rule_set": result.rule_set, "recognised": recognised,
        "assessment_id": assessment_id, "updated_at": _now(),
    }  # fmt: skip
    if row is None:
        row = TierStatus(uscc=snapshot.uscc, tier=result.tier, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    uow.session.add(row)
    return row


async def reassess_from_snapshot(
    uow: UnitOfWork, snapshot: EnterpriseSnapshot, year: int, trigger: str, book: RuleBook | None = None
) -> Assessment | None:
    if await upsert_projection(uow, snapshot) is None:
        return None
    return await record_assessment(uow, snapshot, assess_snapshot(snapshot, year, book), year, trigger)


async def explain_assessment(uow: UnitOfWork, assessment: Assessment, book: RuleBook | None = None) -> bool:
    """Complete an assessment decided without explanations: the scalar engine on the snapshot it was
    made from gives exactly the results the scalar path would have stored, which are kept (the next
    read is cheap). False when those facts are no longer held (the projection has moved on to a newer
    snapshot, which has its own assessment) or the rules in force now decide otherwise: the
    assessment stays as it is."""
    if assessment.explained:
        return True
    row = await uow.session.get(FactsProjection, assessment.uscc)
    if row is None or row.snapshot_version != assessment.snapshot_version:
        return False
    snapshot = EnterpriseSnapshot.model_validate(row.snapshot)
    results = await asyncio.to_thread(assess_snapshot, snapshot, assessment.assessment_year, book)
    if [unexplained_result(outcome(r)) for r in results] != assessment.results:
        # Not the decision it explains (the rules in force changed since): left as decided.
        log.warning("assessment %s: the rules now decide otherwise; left unexplained", assessment.id)
        return False
    assessment.results = [tier_result_out(r).model_dump(mode="json") for r in results]
    assessment.explained = True
    uow.session.add(assessment)
    return True
