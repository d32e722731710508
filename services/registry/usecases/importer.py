"""Bulk import jobs: a stored upload is read in chunks in the background; progress and the outcome
of every row are kept in the database for the caller to poll.

Memory: the upload is streamed to disk; rows are read with streaming readers and handled a chunk at
a time, so a 100,000-row file is never held in memory (let alone twice). Commit unit: one enterprise
(its rows in a chunk) — see ``domain/importing.py``. openpyxl parsing is CPU-bound and synchronous,
so chunks are read in a worker thread to keep the event loop serving requests.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import itertools
import logging
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, create_model, field_validator
from sqlalchemy import insert, update

from services.registry.api.schemas import EnterpriseCreate, FinancialReportIn
from services.registry.domain.importing import (
    ENTERPRISE_FIELDS,
    HEADER_OF,
    UNREADABLE,
    ImportFileError,
    ParsedRow,
    RowParser,
    RowProblem,
    check_headers,
    check_upload,
    iter_rows_csv,
    iter_rows_xlsx,
    stated_rows,
)
from services.registry.persistence import bulk
from services.registry.persistence.tables import ImportJob, ImportProblem
from services.registry.usecases import access, validation
from shared.errors import DomainError
from shared.identity import Principal
from shared.money import CENT, MAX_YUAN
from shared.problems import Problem
from shared.service import ServiceRuntime
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

CheckedRow = tuple[ParsedRow, Any, dict[str, Any] | None]  # the row, its enterprise (validated), its year


def _template_schema() -> type[BaseModel]:
    """``EnterpriseCreate`` cut to the template's columns: the same fields (types, constraints) and the
    same field validators, without building the defaults of the facts a template never carries (the
    nested models cost more than the checks). Same cells in, same verdict and errors out."""
    validators: dict[str, Any] = {}
    for name, decorator in EnterpriseCreate.__pydantic_decorators__.field_validators.items():
        fields = [f for f in decorator.info.fields if f in ENTERPRISE_FIELDS]
        if fields:
            function = getattr(decorator.func, "__func__", decorator.func)  # unbound from EnterpriseCreate
            validators[name] = field_validator(*fields, mode=decorator.info.mode)(function)
    assert not EnterpriseCreate.__pydantic_decorators__.model_validators, "validate with EnterpriseCreate itself"
    columns: dict[str, Any] = {name: (info.annotation, info) for name, info in EnterpriseCreate.model_fields.items()
                               if name in ENTERPRISE_FIELDS}  # fmt: skip
    return create_model("TemplateEnterprise", __config__=EnterpriseCreate.model_config, __validators__=validators,
                        **columns)  # fmt: skip


TEMPLATE_ENTERPRISE: Any = _template_schema()  # validates like EnterpriseCreate (its fields typed)
_MONEY_FIELDS = ("operating_revenue", "main_business_revenue", "rd_expense", "total_assets", "total_liabilities",
                 "new_equity_financing")  # fmt: skip
_REPORT_DEFAULTS = dict.fromkeys(FinancialReportIn.model_fields)
assert set(_REPORT_DEFAULTS) == {*_MONEY_FIELDS, "net_profit", "employees", "rd_staff", "audited"}


def report_as_is(financial: dict[str, Any]) -> dict[str, Any] | None:
    """``FinancialReportIn.model_validate(financial).model_dump()`` when the schema would take every value
    as it is (the importer's cells: Decimal, int, bool within the schema's bounds); None when in doubt —
    then the schema itself decides and names the problem. Per row, this is most of validation's time."""
    for name, value in financial.items():
        if name == "employees" or name == "rd_staff":
            if value.__class__ is not int or not 0 <= value <= 10_000_000:
                return None
        elif name == "audited":
            if value.__class__ is not bool:
                return None
        elif (value.__class__ is not Decimal or not value.is_finite() or abs(value) > MAX_YUAN
              or value != value.quantize(CENT) or (name != "net_profit" and value < 0)):  # fmt: skip
            return None
    revenue, main = financial.get("operating_revenue"), financial.get("main_business_revenue")
    if revenue is not None and main is not None and main > revenue:
        return None
    employees, rd_staff = financial.get("employees"), financial.get("rd_staff")
    if employees is not None and rd_staff is not None and rd_staff > employees:
        return None
    return _REPORT_DEFAULTS | financial


# Rows kept in the pipeline between the reader thread and the writer: two batches, whatever the file's size.
PIPELINE_DEPTH = 2
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[ >]")
EXTEND_ROWS = 50  # a batch grows by at most this many rows to keep an enterprise's rows together


@dataclass
class ChunkOutcome:
    applied: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})


@dataclass
class Timings:
    """Seconds spent in each step of an import (the reader's steps overlap the writer's in time)."""

    parse: float = 0.0  # reading the file and normalising cells
    validate: float = 0.0  # the API's schemas, duplicates, scope
    resolve: float = 0.0  # one read per batch: new, update, stale, out of scope
    write: float = 0.0  # staging (COPY / multi-row INSERT) and the set-based statements
    outbox: float = 0.0  # events built and written to the outbox, and the commit
    events: int = 0

    def as_dict(self) -> dict[str, float]:
        return {"parse": self.parse, "validate": self.validate, "resolve": self.resolve, "write": self.write,
                "outbox": self.outbox}  # fmt: skip


@dataclass
class Batch:
    """A chunk of the file, parsed and validated: its enterprises (the commit units) and its problems."""

    rows: int
    units: dict[str, bulk.Unit] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    parse_seconds: float = 0.0
    validate_seconds: float = 0.0
    prepare_seconds: float = 0.0  # events worked out ahead (``bulk.prepare_new``)


def open_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        handle = path.open("rb")
        try:
            yield from iter_rows_csv(handle)
        finally:
            handle.close()
    else:
        yield from iter_rows_xlsx(str(path))


def count_rows(path: Path) -> int:
    """The progress denominator. CSV: its non-blank records counted (no cell parsed). XLSX: the sheet's
    stated dimension, or its row elements counted in the raw XML (parsing the workbook twice would
    double an import's time). The job's ``total_rows`` is set to the exact figure when it is done."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
            return max(0, sum(1 for values in csv.reader(handle) if any(v.strip() for v in values)) - 1)
    stated = stated_rows(str(path))
    return max(0, (stated if stated is not None else _row_elements(path)) - 1)


def _row_elements(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        sheet = next((n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)), None)
        if sheet is None:
            return 0
        count, tail = 0, b""
        with archive.open(sheet) as stream:
            while block := stream.read(1 << 20):
                text = tail + block
                count += len(_ROW_TAG.findall(text))
                tail = text[-16:]
                count -= len(_ROW_TAG.findall(tail))  # counted again with the next block
        return count + len(_ROW_TAG.findall(tail))


# While an import runs, the collector's young generation is collected every this many net allocations
# (Python's default: 700). An import allocates millions of short-lived rows, cells and records, freed
# by reference counting as they go, beside the batches in flight, which live for seconds: each young
# collection walks those too. Measured on 100,000 enterprises × 3 years (the reader alone): at the
# default, a quarter of the CPU; at 50,000, 79 collections and 3.4 s; at 200,000, 5 and 0.5 s; at
# 500,000, none. Garbage with cycles is still collected, in steps of at most this many objects.
IMPORT_GC_THRESHOLD = 500_000
_collector_lock = threading.Lock()
_collector_users = 0
_collector_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's young threshold for the duration (shared by concurrent imports: the
    process's own thresholds come back when the last one ends)."""
    global _collector_users, _collector_saved
    with _collector_lock:
        if _collector_users == 0:
            _collector_saved = gc.get_threshold()
            gc.set_threshold(max(_collector_saved[0], IMPORT_GC_THRESHOLD), *_collector_saved[1:])
        _collector_users += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_users -= 1
            if _collector_users == 0 and _collector_saved is not None:
                gc.set_threshold(*_collector_saved)


async def run_import(runtime: ServiceRuntime, job_id: str, path: Path, principal: Principal, dry_run: bool,
                     chunk_rows: int = 500, timings: Timings | None = None) -> None:  # fmt: skip
    with fewer_collections():
        await _run_import(runtime, job_id, path, principal, dry_run, chunk_rows, timings or Timings())


async def _run_import(runtime: ServiceRuntime, job_id: str, path: Path, principal: Principal, dry_run: bool,
                      chunk_rows: int, timings: Timings) -> None:  # fmt: skip
    try:
        await asyncio.to_thread(check_upload, str(path), path.suffix.lower())
        await _set(runtime, job_id, status="running", total_rows=await asyncio.to_thread(count_rows, path))
        # One reader for the whole file: the headers are those of its first row (the file is opened once).
        rows = open_rows(path)
        try:
            first = await asyncio.to_thread(next, rows, None)
            header_problems = check_headers(list(first[1]) if first else [])
            if header_problems:
                await _record(runtime, job_id, ChunkOutcome(problems=header_problems))
                await _set(runtime, job_id, status="failed", error="bad headers / 表头不符合模板", finished_at=_now())
                return
            reader = BatchReader(itertools.chain([first] if first else [], rows), principal, chunk_rows,
                                 not dry_run, copy_text=runtime.engine.dialect.name == "postgresql")  # fmt: skip
            await _read_and_write(runtime, job_id, reader, principal, dry_run, timings)
        finally:
            await asyncio.to_thread(_close, rows)
    except ImportFileError as error:
        log.warning("import %s refused: %s", job_id, error.en)
        await _set(runtime, job_id, status="failed", error=error.reason[:500], finished_at=_now())
    except Exception:
        # The reason is stated, never the parser's own words (which leak internals and help no clerk).
        log.exception("import %s failed", job_id)
        await _set(runtime, job_id, status="failed", error=UNREADABLE.reason, finished_at=_now())
    finally:
        path.unlink(missing_ok=True)


async def _read_and_write(runtime: ServiceRuntime, job_id: str, reader: BatchReader, principal: Principal,
                          dry_run: bool, timings: Timings) -> None:  # fmt: skip
    next_batch = reader.next_batch
    # The reader parses and validates the next batch in a thread while this task writes the last one:
    # the database works while Python parses. (A reader process was measured three times, last on
    # 2026-12-03: whole batches of 100,000 enterprises × 3 years pickle to 315 MB, 7.5 s to dump and
    # 4.7 s to load; sending only new enterprises' COPY lines and event JSON, the process import took
    # 30.6 s against the thread's 29.6 s — the reader's own work is the bound either way.)
    queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=PIPELINE_DEPTH)
    # Versions this job moved (uscc → (version before the job, after)): a later row of the same
    # enterprise, further down the file, still names the version the file was based on.
    produced: dict[str, tuple[int, int]] = {}

    async def produce() -> None:
        try:
            while (batch := await asyncio.to_thread(next_batch)) is not None:
                await queue.put(batch)
        finally:
            await queue.put(None)

    producer = asyncio.create_task(produce())
    processed = 0
    try:
        while (batch := await queue.get()) is not None:
            timings.parse += batch.parse_seconds
            timings.validate += batch.validate_seconds
            timings.outbox += batch.prepare_seconds
            await apply_batch(runtime, job_id, batch, principal, dry_run, timings, produced)
            processed += batch.rows
    finally:
        if not producer.done():
            producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)
    producer.result()  # a reading error fails the job
    await _set(runtime, job_id, status="done", total_rows=processed, finished_at=_now())


def _close(rows: Iterator[Any]) -> None:
    close = getattr(rows, "close", None)
    try:
        if close is not None:
            close()
    except ValueError:  # still running in the reader's thread (the job failed meanwhile): it ends with it
        pass


def _code_cell(item: tuple[int, dict[str, Any]]) -> str:
    return str(item[1].get("统一社会信用代码") or "").strip()


@dataclass
class ParsedBatch:
    """A chunk of the file, its cells parsed: (row, raw cells, parsed row or None, cell problems)."""

    rows: list[tuple[int, dict[str, Any], ParsedRow | None, list[RowProblem]]]
    parse_seconds: float = 0.0


class BatchParser:
    """Stage 1: reads and parses the file a chunk at a time (synchronous: runs in a thread or a process)."""

    def __init__(self, rows: Iterator[tuple[int, dict[str, Any]]], chunk_rows: int) -> None:
        self.rows, self.chunk_rows = rows, chunk_rows
        self.row_parser = RowParser()
        self._pending: tuple[int, dict[str, Any]] | None = None

    def _take(self) -> list[tuple[int, dict[str, Any]]]:
        """The next chunk, extended (a little) so that it does not cut one enterprise's consecutive rows apart."""
        chunk = [self._pending] if self._pending is not None else []
        self._pending = None
        for item in self.rows:
            if len(chunk) >= self.chunk_rows and (
                len(chunk) >= self.chunk_rows + EXTEND_ROWS or _code_cell(item) != _code_cell(chunk[-1])
            ):
                self._pending = item
                break
            chunk.append(item)
        return chunk

    def next_batch(self) -> ParsedBatch | None:
        started = time.perf_counter()
        chunk = self._take()
        if not chunk:
            return None
        parsed = self.row_parser.parse_many(chunk)
        rows = [(number, raw, *outcome) for (number, raw), outcome in zip(chunk, parsed, strict=True)]
        return ParsedBatch(rows, time.perf_counter() - started)


class BatchValidator:
    """Stage 2: the API's schemas, duplicates within the file, scope; groups rows into commit units."""

    def __init__(self, principal: Principal, prepare: bool = True, copy_text: bool = False) -> None:
        """``prepare``: work out new enterprises' rows and events ahead; ``copy_text``: and their rows'
        COPY text (PostgreSQL)."""
        self.principal, self.prepare, self.copy_text = principal, prepare, copy_text
        self.seen: dict[tuple[str, int | None], int] = {}

    def validate(self, parsed_batch: ParsedBatch) -> Batch:
        started = time.perf_counter()
        batch = Batch(rows=len(parsed_batch.rows), parse_seconds=parsed_batch.parse_seconds)
        cache: dict[Any, tuple[Any, list[Any]]] = {}
        refused: dict[str, tuple[str, str]] = {}  # out of the principal's scope
        this_year = _this_year()  # once per batch, not per row
        for number, raw, parsed, cell_problems in parsed_batch.rows:
            if parsed is None:
                batch.problems += cell_problems
                continue
            row = validate_row(number, raw, parsed, self.seen, batch.problems, cache, this_year)
            if row is None:
                continue
            _, enterprise, report = row
            unit = batch.units.get(enterprise.uscc)
            if unit is None:
                unit = batch.units[enterprise.uscc] = bulk.Unit(
                    enterprise.uscc, [], bulk.unit_values(enterprise), frozenset(parsed.enterprise)
                )
                problem = check_scope(self.principal, enterprise)
                if problem is not None:
                    refused[enterprise.uscc] = problem
            unit.rows.append(number)
            unit.versions[number] = parsed.version
            if report is not None and parsed.year is not None:
                unit.reports[parsed.year] = report
        for uscc, problem in refused.items():
            unit = batch.units.pop(uscc)
            county = unit.enterprise["county_code"]
            batch.problems += [RowProblem(r, "所在区县代码", county, *problem) for r in unit.rows]
        validated = time.perf_counter()
        batch.validate_seconds = validated - started
        if self.prepare:
            # What registering each would write and announce, while the writer is busy with the last
            # batch: a unit without a version cell may be new (one with a version can only update).
            for unit in batch.units.values():
                if all(version is None for version in unit.versions.values()):
                    try:
                        bulk.prepare_new(unit)
                    except Exception:  # the writer builds it then, and reports the unit if it fails there
                        log.debug("could not prepare %s ahead", unit.uscc, exc_info=True)
            if self.copy_text:
                try:
                    bulk.prepare_copy(list(batch.units.values()))
                except Exception:  # the writer makes the COPY text from the rows then
                    log.debug("could not prepare the batch's COPY text ahead", exc_info=True)
            batch.prepare_seconds = time.perf_counter() - validated
        return batch


class BatchReader:
    """Both stages in one thread (small files)."""

    def __init__(self, rows: Iterator[tuple[int, dict[str, Any]]], principal: Principal, chunk_rows: int,
                 prepare: bool = True, copy_text: bool = False) -> None:  # fmt: skip
        self.parser = BatchParser(rows, chunk_rows)
        self.validator = BatchValidator(principal, prepare, copy_text)

    def next_batch(self) -> Batch | None:
        parsed = self.parser.next_batch()
        return None if parsed is None else self.validator.validate(parsed)


async def apply_batch(runtime: ServiceRuntime, job_id: str, batch: Batch, principal: Principal, dry_run: bool,
                      timings: Timings, produced: dict[str, tuple[int, int]]) -> ChunkOutcome:  # fmt: skip
    """The batch in one transaction: resolved in one read, written set-based with its outbox rows, and
    recorded (its rows' outcomes and the job's progress) in the same commit."""
    outcome = ChunkOutcome(problems=list(batch.problems))
    units = list(batch.units.values())
    async with runtime.uow() as uow:
        started = time.perf_counter()
        refused: list[bulk.Refusal] = []
        if units:
            connection = await uow.session.connection()
            plan = await bulk.resolve(connection, units, principal, lock=not dry_run, produced=produced)
            resolved = time.perf_counter()
            timings.resolve += resolved - started
            if dry_run:
                refused = plan.refused
                outcome.applied += sum(len(unit.rows) for unit in plan.accepted)
            else:
                written = await bulk.apply(uow, plan, _now())
                timings.write += time.perf_counter() - resolved - written.outbox_seconds
                timings.outbox += written.outbox_seconds
                timings.events += written.events
                refused = written.refused
                outcome.applied += sum(len(unit.rows) for unit in written.applied)
                for uscc, (before, after) in written.versions.items():
                    produced[uscc] = (produced.get(uscc, (before, after))[0], after)
        refusals = sorted(refused, key=lambda r: r.unit.rows[0])
        outcome.problems += [RowProblem(n, r.column, r.value(n), r.zh, r.en) for r in refusals for n in r.unit.rows]
        recorded = time.perf_counter()
        await _record_in(uow, job_id, outcome, processed=batch.rows)
        await uow.commit()  # the outbox rows are written here, in bulk
        timings.outbox += time.perf_counter() - recorded
    return outcome


def validate_row(
    number: int,
    raw: dict[str, Any],
    parsed: ParsedRow,
    seen: dict[tuple[str, int | None], int],
    problems: list[RowProblem],
    cache: dict[Any, tuple[Any, list[Any]]] | None = None,
    this_year: int | None = None,
) -> CheckedRow | None:
    """The API's own schemas on a parsed row. The enterprise half of a row repeats on each of its
    years: ``cache`` validates each distinct one once per batch (same input, same verdict)."""
    cells = parsed.enterprise_key
    if cells is None:
        cells = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in parsed.enterprise.items())
    hit: tuple[Any, list[Any]] | None = cache.get(cells) if cache is not None else None
    if hit is None:
        try:
            hit = (TEMPLATE_ENTERPRISE.model_validate(parsed.enterprise), [])
        except ValidationError as error:
            hit = (None, error.errors())
        if cache is not None:
            cache[cells] = hit
    enterprise, errors = hit
    if enterprise is None:
        problems += [_schema_problem(number, raw, e) for e in errors]
        return None
    report: dict[str, Any] | None = None
    if parsed.year is not None:
        try:
            report = report_as_is(parsed.financial)
            if report is None:
                report = FinancialReportIn.model_validate(parsed.financial).model_dump()
            if not 1990 <= parsed.year <= (this_year or _this_year()):
                validation.report_year(parsed.year)
        except ValidationError as error:
            problems += [_schema_problem(number, raw, e) for e in error.errors()]
            return None
        except (Problem, DomainError) as error:
            problems.append(
                RowProblem(number, "财务年度", str(parsed.year), error.title_zh, error.detail or error.title)
            )
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
    except (Problem, DomainError) as problem:
        return problem.detail_zh or problem.title_zh, problem.detail or problem.title
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _this_year() -> int:
    return date.today().year


async def _set(runtime: ServiceRuntime, job_id: str, **values: Any) -> None:
    async with runtime.uow() as uow:
        await uow.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))  # type: ignore[arg-type]
        await uow.commit()


async def _record(runtime: ServiceRuntime, job_id: str, outcome: ChunkOutcome, processed: int = 0) -> None:
    async with runtime.uow() as uow:
        await _record_in(uow, job_id, outcome, processed)
        await uow.commit()


async def _record_in(uow: UnitOfWork, job_id: str, outcome: ChunkOutcome, processed: int = 0) -> None:
    if outcome.problems:
        await uow.session.execute(insert(ImportProblem), [
            {"job_id": job_id, "row": p.row, "column": p.column, "value": p.value, "problem_zh": p.zh[:500],
             "problem_en": p.en[:500]} for p in outcome.problems
        ])  # fmt: skip
    await uow.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)  # type: ignore[arg-type]
        .values(
            processed_rows=ImportJob.processed_rows + processed,
            applied_rows=ImportJob.applied_rows + outcome.applied,
            rejected_rows=ImportJob.rejected_rows + outcome.rejected_rows,
        )
    )
