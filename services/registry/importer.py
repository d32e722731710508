"""Bulk import jobs: a stored upload is read in chunks in the background; progress and the outcome
of every row are kept in the database for the caller to poll.

Memory: the upload is streamed to disk; rows are read with streaming readers and handled a chunk at
a time, so a 100,000-row file is never held in memory (let alone twice). Commit unit: one enterprise
(its rows in a chunk) — see ``domain/importing.py``. openpyxl parsing is CPU-bound and synchronous,
so chunks are read in a worker thread to keep the event loop serving requests.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update

from services.registry import access, commands, validation
from services.registry.api.schemas import EnterpriseCreate, FinancialReportIn
from services.registry.domain.importing import (
    HEADER_OF,
    UNREADABLE,
    ImportFileError,
    ParsedRow,
    RowProblem,
    check_headers,
    check_upload,
    iter_rows_csv,
    iter_rows_xlsx,
    parse_row,
)
from services.registry.persistence.tables import Enterprise, ImportJob, ImportProblem
from shared.identity import Principal
from shared.problems import Problem
from shared.service import ServiceRuntime
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


CheckedRow = tuple[ParsedRow, EnterpriseCreate, FinancialReportIn | None]


@dataclass
class ChunkOutcome:
    applied: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})


def open_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        handle = path.open("rb")
        try:
            yield from iter_rows_csv(handle)
        finally:
            handle.close()
    else:
        yield from iter_rows_xlsx(str(path))


def headers_of(path: Path) -> list[str]:
    first = next(open_rows(path), None)
    return list(first[1]) if first else []


def count_rows(path: Path) -> int:
    return sum(1 for _ in open_rows(path))


async def run_import(runtime: ServiceRuntime, job_id: str, path: Path, principal: Principal, dry_run: bool,
                     chunk_rows: int = 500) -> None:  # fmt: skip
    try:
        await asyncio.to_thread(check_upload, str(path), path.suffix.lower())
        await _set(runtime, job_id, status="running", total_rows=await asyncio.to_thread(count_rows, path))
        header_problems = check_headers(await asyncio.to_thread(headers_of, path))
        if header_problems:
            await _record(runtime, job_id, ChunkOutcome(problems=header_problems))
            await _set(runtime, job_id, status="failed", error="bad headers / 表头不符合模板", finished_at=_now())
            return
        seen: dict[tuple[str, int | None], int] = {}
        rows = open_rows(path)
        while chunk := await asyncio.to_thread(lambda: list(itertools.islice(rows, chunk_rows))):
            outcome = await apply_chunk(runtime, chunk, principal, dry_run, seen)
            await _record(runtime, job_id, outcome, processed=len(chunk))
        await _set(runtime, job_id, status="done", finished_at=_now())
    except ImportFileError as error:
        log.warning("import %s refused: %s", job_id, error.en)
        await _set(runtime, job_id, status="failed", error=error.reason[:500], finished_at=_now())
    except Exception:
        # The reason is stated, never the parser's own words (which leak internals and help no clerk).
        log.exception("import %s failed", job_id)
        await _set(runtime, job_id, status="failed", error=UNREADABLE.reason, finished_at=_now())
    finally:
        path.unlink(missing_ok=True)


async def apply_chunk(runtime: ServiceRuntime, chunk: list[tuple[int, dict[str, Any]]], principal: Principal,
                      dry_run: bool, seen: dict[tuple[str, int | None], int]) -> ChunkOutcome:  # fmt: skip
    outcome = ChunkOutcome()
    groups: dict[str, list[CheckedRow]] = {}
    for number, raw in chunk:
        checked = validate_row(number, raw, seen, outcome.problems)
        if checked is not None:
            groups.setdefault(checked[0].uscc, []).append(checked)
    allowed: dict[str, list[CheckedRow]] = {}
    for uscc, rows in groups.items():
        problem = check_scope(principal, rows[0][1])
        if problem is not None:
            outcome.problems += [RowProblem(r[0].row, "所在区县代码", r[1].county_code, *problem) for r in rows]
        else:
            allowed[uscc] = rows
    if dry_run:
        outcome.applied += sum(len(rows) for rows in allowed.values())
    else:
        outcome.applied += await _apply_groups(runtime, principal, allowed, outcome.problems)
    return outcome


async def _apply_groups(runtime: ServiceRuntime, principal: Principal, groups: dict[str, list[CheckedRow]],
                        problems: list[RowProblem]) -> int:  # fmt: skip
    """The chunk in one transaction (one commit, not one per enterprise), each enterprise in its own
    savepoint so that a failing enterprise is rolled back alone, events included."""
    async with runtime.uow() as uow:
        applied = 0
        for uscc, rows in groups.items():
            applied += await _apply_group(uow, principal, uscc, rows, problems)
        await uow.commit()
    return applied


def validate_row(
    number: int, raw: dict[str, Any], seen: dict[tuple[str, int | None], int], problems: list[RowProblem]
) -> CheckedRow | None:
    parsed, cell_problems = parse_row(number, raw)
    if parsed is None:
        problems += cell_problems
        return None
    try:
        enterprise = EnterpriseCreate.model_validate(parsed.enterprise)
        report = FinancialReportIn.model_validate(parsed.financial) if parsed.year is not None else None
        if parsed.year is not None:
            validation.report_year(parsed.year)
    except ValidationError as error:
        problems += [_schema_problem(number, raw, e) for e in error.errors()]
        return None
    except Problem as error:
        problems.append(RowProblem(number, "财务年度", str(parsed.year), error.title_zh, error.detail or error.title))
        return None
    key = (enterprise.uscc, parsed.year)
    if key in seen:
        problems.append(RowProblem(number, "财务年度", str(parsed.year), f"与第{seen[key]}行重复（同一企业同一年度）",
                                   f"duplicates row {seen[key]} (same enterprise and year)"))  # fmt: skip
        return None
    seen[key] = number
    return parsed, enterprise, report


def _schema_problem(number: int, raw: dict[str, Any], error: Any) -> RowProblem:
    name = str(error["loc"][0]) if error.get("loc") else ""
    header = HEADER_OF.get(name, "（整行）")
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    zh, _, en = message.partition(" / ")
    return RowProblem(number, header, _display(raw.get(header)), zh if en else f"取值无效：{message}", en or message)


def _display(value: Any) -> str | None:
    return None if value is None else str(value)[:500]


def check_scope(principal: Principal, enterprise: EnterpriseCreate) -> tuple[str, str] | None:
    try:
        access.check_create(principal, enterprise.uscc, validation.prefecture_of(enterprise.county_code))
    except Problem as problem:
        return problem.detail_zh or problem.title_zh, problem.detail or problem.title
    return None


async def _apply_group(uow: UnitOfWork, principal: Principal, uscc: str, rows: list[CheckedRow],
                       problems: list[RowProblem]) -> int:  # fmt: skip
    """One enterprise: register it with its years, or add its years."""
    try:
        async with uow.savepoint():
            existing = await uow.session.get(Enterprise, uscc)
            reports = {row[0].year: row[2] for row in rows if row[2] is not None and row[0].year is not None}
            if existing is None:
                await commands.register(uow, rows[0][1], reports)
            else:
                access.check_write(principal, existing)
                for year, report in sorted(reports.items()):
                    await commands.report_financials(uow, existing, year, report)
        return len(rows)
    except Problem as problem:
        problems += [RowProblem(r[0].row, "统一社会信用代码", uscc, problem.title_zh, problem.title) for r in rows]
    except Exception as error:  # one enterprise failing must not sink the file
        log.exception("import of %s failed", uscc)
        problems += [RowProblem(r[0].row, "统一社会信用代码", uscc, "写入失败", f"write failed: {error}") for r in rows]
    return 0


def _now() -> datetime:
    return datetime.now(UTC)


async def _set(runtime: ServiceRuntime, job_id: str, **values: Any) -> None:
    async with runtime.uow() as uow:
        await uow.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))  # type: ignore[arg-type]
        await uow.commit()


async def _record(runtime: ServiceRuntime, job_id: str, outcome: ChunkOutcome, processed: int = 0) -> None:
    async with runtime.uow() as uow:
        for problem in outcome.problems:
            uow.session.add(ImportProblem(job_id=job_id, row=problem.row, column=problem.column,
                                          value=problem.value, problem_zh=problem.zh[:500],
                                          problem_en=problem.en[:500]))  # fmt: skip
        await uow.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)  # type: ignore[arg-type]
            .values(
                processed_rows=ImportJob.processed_rows + processed,
                applied_rows=ImportJob.applied_rows + outcome.applied,
                rejected_rows=ImportJob.rejected_rows + outcome.rejected_rows,
            )
        )
        await uow.commit()
