"""An enterprise's latest assessment and its history (from the service's own projection)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from services.eligibility.api.deps import RuntimeDep
from services.eligibility.persistence.tables import Assessment, FactsProjection
from shared.api import PrincipalDep
from shared.identity import Principal
from shared.problems import Problem
from shared.tenancy import check_enterprise_visible
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/eligibility/enterprises", tags=["assessments"])


async def visible_projection(uow: UnitOfWork, principal: Principal, uscc: str) -> FactsProjection:
    projection = await uow.session.get(FactsProjection, uscc.upper())
    check_enterprise_visible(principal, uscc.upper(), projection.prefecture_code if projection else None)
    assert projection is not None
    return projection


def view(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": assessment.id, "uscc": assessment.uscc, "assessment_year": assessment.assessment_year,
        "trigger": assessment.trigger, "assessed_at": assessment.assessed_at, "results": assessment.results,
    }  # fmt: skip


@router.get("/{uscc}/assessment", summary="Latest assessment / 最新评估结果")
async def latest_assessment(uscc: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        await visible_projection(uow, principal, uscc)
        latest = (
            await uow.session.exec(
                select(Assessment).where(Assessment.uscc == uscc.upper()).order_by(col(Assessment.assessed_at).desc())
            )
        ).first()
    if latest is None:
        raise Problem(404, "not-assessed", "Not assessed yet", "尚未评估")
    return view(latest)


@router.get("/{uscc}/assessments", summary="Assessment history / 历次评估")
async def assessment_history(
    uscc: str, principal: PrincipalDep, runtime: RuntimeDep, limit: int = Query(default=20, ge=1, le=100)
) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        await visible_projection(uow, principal, uscc)
        rows = await uow.session.exec(
            select(Assessment)
            .where(Assessment.uscc == uscc.upper())
            .order_by(col(Assessment.assessed_at).desc())
            .limit(limit)
        )
        return [view(row) for row in rows]
