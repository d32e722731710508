"""Re-assessment jobs: re-run every enterprise through the rules (after a rule change), with progress."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func
from sqlmodel import select

from services.eligibility.api.deps import RuleBookDep, RuntimeDep
from services.eligibility.persistence.tables import FactsProjection, ReassessmentJob
from services.eligibility.usecases.reassessment import run_reassessment
from shared.api import PrincipalDep
from shared.problems import forbidden, not_found
from shared.text import CLEAN, TRIMMED

router = APIRouter(prefix="/api/v1/eligibility/reassessments", tags=["reassessments"])


class ReassessmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=2, max_length=300), TRIMMED, CLEAN] = Field(
        description="why, e.g. a new rule version / 原因"
    )


@router.post("", status_code=202, summary="Re-assess the whole register / 全量重新评估")
async def start_reassessment(
    body: ReassessmentRequest, principal: PrincipalDep, runtime: RuntimeDep, book: RuleBookDep
) -> dict[str, Any]:
    if not principal.is_province_wide:
        raise forbidden("provincial operators only", "仅省级管理部门可发起全量评估")
    settings = runtime.settings
    async with runtime.uow() as uow:
        total = await uow.session.scalar(select(func.count()).select_from(FactsProjection))
        job = ReassessmentJob(id=str(uuid.uuid4()), reason=body.reason, assessment_year=settings.assessment_year,
                              status="queued", total=int(total or 0), created_by=principal.subject,
                              created_at=datetime.now(UTC))  # fmt: skip
        uow.session.add(job)
        await uow.commit()
    runtime.run_job(ReassessmentJob, job.id, run_reassessment(runtime, job.id, settings.assessment_year, book))
    return job.model_dump(mode="json") | {"status_url": f"/api/v1/eligibility/reassessments/{job.id}"}


@router.get("/{job_id}", summary="Re-assessment progress / 评估进度")
async def reassessment_status(job_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    if not principal.is_province_wide:
        raise forbidden("provincial operators only", "仅省级管理部门")
    async with runtime.uow() as uow:
        job = await uow.session.get(ReassessmentJob, job_id)
    if job is None:
        raise not_found("Re-assessment", "评估任务")
    return job.model_dump(mode="json")
