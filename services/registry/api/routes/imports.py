"""Excel in and out: the template, background imports with progress and a per-row report, and
the filtered list exported in the template's layout (so an export re-imports cleanly)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from services.registry.api.deps import RuntimeDep
from services.registry.domain.importing import HEADERS, build_template_xlsx, export_row
from services.registry.persistence.tables import Enterprise, FinancialReport, ImportJob, ImportProblem
from services.registry.usecases import access, queries
from services.registry.usecases.importer import run_import
from shared.api import PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden, not_found

router = APIRouter(prefix="/api/v1/registry", tags=["imports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORTERS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR}


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}


@router.get("/imports/template.xlsx", summary="Import template / 下载导入模板")
async def import_template(_: PrincipalDep) -> Response:
    return Response(build_template_xlsx(), media_type=XLSX, headers=_download("srdi-enterprises-template.xlsx"))


@router.post("/imports", status_code=202, summary="Import a CSV or XLSX file / 批量导入")
async def start_import(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="the filled-in template (.xlsx or .csv)")],
    dry_run: Annotated[bool, Query(description="validate only, write nothing / 仅校验")] = False,
) -> dict[str, Any]:
    if principal.role not in IMPORTERS:
        raise forbidden("operators import; enterprises edit their own record", "仅管理部门可批量导入")
    settings = runtime.settings
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Problem(415, "unsupported-file", "Upload an .xlsx or .csv file", "请上传 .xlsx 或 .csv 文件")
    job_id = str(uuid.uuid4())
    path = settings.registry_import_dir / f"{job_id}{suffix}"
    await _save(file, path, settings.registry_import_max_bytes)
    async with runtime.uow() as uow:
        job = ImportJob(
            id=job_id, filename=(file.filename or "")[:300], dry_run=dry_run, status="queued",
            created_by=principal.subject, scope=principal.tenant, created_at=datetime.now(UTC),
        )  # fmt: skip
        uow.session.add(job)
        await uow.commit()
    runtime.run_job(ImportJob, job_id, run_import(runtime, job_id, path, principal, dry_run,
                                                  settings.registry_import_chunk_rows))  # fmt: skip
    return {"id": job_id, "status": "queued", "status_url": f"/api/v1/registry/imports/{job_id}"}


async def _save(upload: UploadFile, path: Path, limit: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("wb") as target:
        while chunk := await upload.read(1 << 20):
            written += len(chunk)
            if written > limit:
                target.close()
                path.unlink(missing_ok=True)
                raise Problem(413, "file-too-large", "File too large", "文件过大", detail=f"limit {limit} bytes")
            target.write(chunk)


async def _job(runtime: Any, principal: Principal, job_id: str) -> ImportJob:
    async with runtime.uow() as uow:
        job = await uow.session.get(ImportJob, job_id)
    if job is None or (not principal.is_province_wide and job.created_by != principal.subject):
        raise not_found("Import", "导入任务")
    return job  # type: ignore[no-any-return]


@router.get("/imports/{job_id}", summary="Import progress and report / 导入进度与报告")
async def import_status(
    job_id: str, principal: PrincipalDep, runtime: RuntimeDep, limit: int = Query(default=200, ge=0, le=5000)
) -> dict[str, Any]:
    job = await _job(runtime, principal, job_id)
    async with runtime.uow() as uow:
        problems = await uow.session.exec(
            select(ImportProblem).where(ImportProblem.job_id == job_id).order_by(col(ImportProblem.id)).limit(limit)
        )
        total_problems = await uow.session.scalar(
            select(func.count()).select_from(ImportProblem).where(ImportProblem.job_id == job_id)
        )
        listed = [
            {"row": p.row, "column": p.column, "value": p.value, "problem": {"zh": p.problem_zh, "en": p.problem_en}}
            for p in problems
        ]
    return job.model_dump(mode="json") | {"problems": listed, "problem_count": int(total_problems or 0)}


@router.get("/imports/{job_id}/report.xlsx", summary="Per-row import report / 导入结果明细")
async def import_report(job_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    await _job(runtime, principal, job_id)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("导入问题")
    sheet.append(["行号 row", "列 column", "原值 value", "问题", "problem"])
    async with runtime.uow() as uow:
        for p in await uow.session.exec(
            select(ImportProblem).where(ImportProblem.job_id == job_id).order_by(col(ImportProblem.row))
        ):
            sheet.append([p.row, p.column, p.value, p.problem_zh, p.problem_en])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(), media_type=XLSX, headers=_download(f"import-{job_id}-report.xlsx"))


@router.get("/exports/enterprises.xlsx", summary="Export the filtered list / 导出企业名录")
async def export_enterprises(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    prefecture: str | None = None,
    county: str | None = None,
    tier: str | None = None,
    industry: str | None = None,
    key_field: str | None = None,
    size_class: str | None = None,
    q: str | None = None,
) -> StreamingResponse:
    access.check_list(principal)
    flt = queries.EnterpriseFilter(prefecture, county, tier, industry, key_field, size_class, q)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业名录")
    sheet.append(HEADERS)
    async with runtime.uow() as uow:
        async for enterprise in queries.stream_filtered(uow, principal, flt):
            for row in await _rows_of(uow, enterprise):
                sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    name = f"srdi-enterprises-{date.today().isoformat()}.xlsx"
    return StreamingResponse(buffer, media_type=XLSX, headers=_download(name))


async def _rows_of(uow: Any, enterprise: Enterprise) -> list[list[Any]]:
    identity = enterprise.model_dump()
    reports = list(
        await uow.session.exec(
            select(FinancialReport).where(FinancialReport.uscc == enterprise.uscc).order_by(col(FinancialReport.year))
        )
    )
    if not reports:
        return [export_row(identity, None)]
    return [export_row(identity, report.model_dump()) for report in reports]
