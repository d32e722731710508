"""Excel in and out: the template, background imports with progress and a per-row report, and
the filtered list exported in the template's layout (so an export re-imports cleanly)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy import func
from sqlmodel import col, select
from starlette.background import BackgroundTask

from services.registry.api.deps import RuntimeDep
from services.registry.domain.importing import HEADERS, build_template_xlsx, export_row
from services.registry.persistence.tables import (
    Enterprise,
    ExportAudit,
    FinancialReport,
    ImportJob,
    ImportProblem,
)
from services.registry.usecases import access, queries
from services.registry.usecases.importer import run_import
from shared.api import PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden, not_found
from shared.xlsx import SafeWorkbook

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
    workbook = SafeWorkbook()
    sheet = workbook.sheet("导入问题", ["行号 row", "列 column", "原值 value", "问题", "problem"])
    async with runtime.uow() as uow:
        for p in await uow.session.exec(
            select(ImportProblem).where(ImportProblem.job_id == job_id).order_by(col(ImportProblem.row))
        ):
            sheet.append([p.row, p.column, p.value, p.problem_zh, p.problem_en])
        await _audit(uow, principal, "import-report.xlsx", {"job_id": job_id}, 0)
        await uow.commit()
    content = await asyncio.to_thread(workbook.to_bytes)
    return Response(content, media_type=XLSX, headers=_download(f"import-{job_id}-report.xlsx"))


# Exports in progress, by caller: a second concurrent export of the same caller is a 429, and at most
# MAX_CONCURRENT_EXPORTS run at once in this process, so that exports never starve the API.
MAX_CONCURRENT_EXPORTS = 2
EXPORT_RETRY_AFTER_SECONDS = 10
_exports_running: set[str] = set()


def _claim_export_slot(principal: Principal) -> None:
    busy = principal.subject in _exports_running
    if busy or len(_exports_running) >= MAX_CONCURRENT_EXPORTS:
        raise Problem(
            429, "export-in-progress", "An export is already running", "已有导出任务正在进行",
            detail="your previous export is still running; retry when it is done" if busy
            else "the service is busy with other exports; retry shortly",
            detail_zh="上一次导出尚未完成，请稍后重试" if busy else "导出任务繁忙，请稍后重试",
            headers={"Retry-After": str(EXPORT_RETRY_AFTER_SECONDS)},
        )  # fmt: skip
    _exports_running.add(principal.subject)


@router.get("/exports/enterprises.xlsx", summary="Export the filtered list / 导出企业名录")
async def export_enterprises(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    prefecture: str | None = Query(default=None, max_length=4),
    county: str | None = Query(default=None, max_length=6),
    tier: str | None = Query(default=None, max_length=40),
    industry: str | None = Query(default=None, max_length=5),
    key_field: str | None = Query(default=None, max_length=64),
    size_class: str | None = Query(default=None, max_length=10),
    q: str | None = Query(default=None, max_length=200),
) -> FileResponse:
    """The register in the template's layout, written chunk by chunk to a file in a worker thread
    and streamed from disk. Contacts are masked for platforms without the contact_data scope; every
    export is recorded in the audit log (who, when, which filter)."""
    access.check_list(principal)
    flt = queries.EnterpriseFilter(prefecture, county, tier, industry, key_field, size_class, q)
    _claim_export_slot(principal)
    try:
        path, rows = await _write_export(runtime, principal, flt)
    finally:
        _exports_running.discard(principal.subject)
    async with runtime.uow() as uow:
        await _audit(uow, principal, "enterprises.xlsx", {k: v for k, v in asdict(flt).items() if v is not None}, rows)
        await uow.commit()
    name = f"srdi-enterprises-{date.today().isoformat()}.xlsx"
    return FileResponse(path, media_type=XLSX, headers=_download(name),
                        background=BackgroundTask(path.unlink, missing_ok=True))  # fmt: skip


async def _write_export(runtime: Any, principal: Principal, flt: queries.EnterpriseFilter) -> tuple[Path, int]:
    settings = runtime.settings
    settings.registry_import_dir.mkdir(parents=True, exist_ok=True)
    path = settings.registry_import_dir / f"export-{uuid.uuid4()}.xlsx"
    workbook = SafeWorkbook()
    sheet = workbook.sheet("企业名录", HEADERS)
    rows = 0
    try:
        async with runtime.uow() as uow:
            chunk: list[Enterprise] = []
            async for enterprise in queries.stream_filtered(uow, principal, flt):
                chunk.append(enterprise)
                if len(chunk) >= 500:
                    rows += await _append_chunk(uow, principal, sheet, chunk)
                    chunk = []
            rows += await _append_chunk(uow, principal, sheet, chunk)
        await asyncio.to_thread(workbook.save, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, rows


async def _append_chunk(uow: Any, principal: Principal, sheet: Any, enterprises: list[Enterprise]) -> int:
    if not enterprises:
        return 0
    reports: dict[str, list[FinancialReport]] = {}
    for report in await uow.session.exec(
        select(FinancialReport)
        .where(col(FinancialReport.uscc).in_([e.uscc for e in enterprises]))
        .order_by(col(FinancialReport.uscc), col(FinancialReport.year))
    ):
        reports.setdefault(report.uscc, []).append(report)
    lines: list[list[Any]] = []
    for enterprise in enterprises:
        identity = access.redact_contacts(principal, enterprise.model_dump())
        own = reports.get(enterprise.uscc, [])
        lines += [export_row(identity, r.model_dump()) for r in own] if own else [export_row(identity, None)]
    await asyncio.to_thread(sheet.extend, lines)
    return len(lines)


async def _audit(uow: Any, principal: Principal, export: str, filters: dict[str, Any], rows: int) -> None:
    uow.session.add(ExportAudit(subject=principal.subject, role=principal.role.value, tenant=principal.tenant,
                                export=export, filter=filters, rows=rows,
                                contacts_unmasked=access.sees_contacts(principal),
                                exported_at=datetime.now(UTC)))  # fmt: skip


@router.get("/audit/exports", summary="Export audit log / 导出审计日志")
async def export_audit_log(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    subject: str | None = Query(default=None, max_length=200, description="only this caller"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Who exported what, when and with which filter — newest first (administrators only)."""
    if principal.role is not Role.ADMIN:
        raise forbidden("administrators only", "仅管理员可查看审计日志")
    query = select(ExportAudit).order_by(col(ExportAudit.id).desc()).limit(limit)
    if subject is not None:
        query = query.where(ExportAudit.subject == subject)
    async with runtime.uow() as uow:
        return [row.model_dump(mode="json") for row in await uow.session.exec(query)]
