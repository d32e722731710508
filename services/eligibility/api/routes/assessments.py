"""An enterprise's latest assessment and its history (from the service's own projection)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from services.eligibility.api.deps import RuleBookDep, RuntimeDep
from services.eligibility.api.serialize import to_jsonable
from services.eligibility.domain.roadmaps.roadmap import build_roadmap
from services.eligibility.domain.rulebook.loading import RuleBook
from services.eligibility.domain.vocabulary import Tier
from services.eligibility.persistence.tables import Assessment, FactsProjection, officer_assignment
from services.eligibility.usecases.assessments import explain_assessment
from services.eligibility.usecases.projection import facts_from_snapshot
from shared.api import PrincipalDep
from shared.events.catalogue import EnterpriseSnapshot
from shared.identity import Principal
from shared.officers import assigned_officer
from shared.problems import Problem
from shared.tenancy import check_enterprise_visible
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/eligibility/enterprises", tags=["assessments"])


async def visible_projection(uow: UnitOfWork, principal: Principal, uscc: str) -> FactsProjection:
    projection = await uow.session.get(FactsProjection, uscc.upper())
    officer = await assigned_officer(uow, officer_assignment, principal, uscc)
    check_enterprise_visible(principal, uscc.upper(), projection.prefecture_code if projection else None, officer)
    assert projection is not None
    return projection


def view(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": assessment.id, "uscc": assessment.uscc, "assessment_year": assessment.assessment_year,
        "trigger": assessment.trigger, "assessed_at": assessment.assessed_at, "results": assessment.results,
        **({} if assessment.explained else {"explained": False}),
    }  # fmt: skip


async def explained(uow: UnitOfWork, rows: list[Assessment], book: RuleBook) -> list[Assessment]:
    """An assessment decided on the vectorised path (an imported batch) is explained on first read
    and stored explained (``usecases.assessments.explain_assessment``)."""
    if any(not row.explained for row in rows):
        for row in rows:
            await explain_assessment(uow, row, book)
        await uow.commit()
    return rows


@router.get("/{uscc}/assessment", summary="Latest assessment / 最新评估结果")
async def latest_assessment(
    uscc: str, principal: PrincipalDep, runtime: RuntimeDep, book: RuleBookDep
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        await visible_projection(uow, principal, uscc)
        latest = (
            await uow.session.exec(
                select(Assessment).where(Assessment.uscc == uscc.upper()).order_by(col(Assessment.assessed_at).desc())
            )
        ).first()
        if latest is None:
            raise Problem(404, "not-assessed", "Not assessed yet", "尚未评估")
        await explained(uow, [latest], book)
        return view(latest)


@router.get("/{uscc}/assessments", summary="Assessment history / 历次评估")
async def assessment_history(
    uscc: str,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    book: RuleBookDep,
    limit: int = Query(default=20, ge=1, le=100),
) -> list[dict[str, Any]]:
    """Newest first. An older assessment decided unexplained whose snapshot has since been replaced
    is answered as decided (each tier's outcome and ``gap_count``, ``explained: false``)."""
    async with runtime.uow() as uow:
        await visible_projection(uow, principal, uscc)
        rows = await uow.session.exec(
            select(Assessment)
            .where(Assessment.uscc == uscc.upper())
            .order_by(col(Assessment.assessed_at).desc())
            .limit(limit)
        )
        return [view(row) for row in await explained(uow, list(rows), book)]


@router.get("/{uscc}/roadmap", summary="Roadmap to the next tier / 施工路线图")
async def roadmap(
    uscc: str,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    book: RuleBookDep,
    target: Tier | None = Query(default=None, description="the tier to aim for; default: the next rung not reached"),
) -> dict[str, Any]:
    """The gaps to the target tier ordered by how reachable they are, the measures that close them,
    and the earliest year the enterprise can apply."""
    async with runtime.uow() as uow:
        projection = await visible_projection(uow, principal, uscc)
    settings = runtime.settings
    year = settings.assessment_year
    facts = facts_from_snapshot(EnterpriseSnapshot.model_validate(projection.snapshot), year)
    plan = await asyncio.to_thread(build_roadmap, facts, year, target=target, book=book)
    return {"uscc": projection.uscc, "assessment_year": year, **to_jsonable(plan)}
