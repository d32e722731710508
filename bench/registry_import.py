"""Import N enterprises × 3 years into PostgreSQL through the real import path, beside a COPY of the
same rows into the same tables (the physical anchor), in the same run.

    .venv/bin/python -m bench.registry_import [--enterprises 100000] [--format xlsx|csv]

Rows = enterprise-years. The import path parses the file (streaming), validates every cell and
field with the API's own schemas, writes each enterprise in its own transaction with its outbox
event, and records progress; COPY only moves bytes. The ratio says what the safety costs.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from openpyxl import Workbook
from sqlalchemy.engine import make_url

from services.platform import definition_of, settings_for
from services.registry.demo import DemoEnterprise, generate_population
from services.registry.domain.importing import HEADERS, export_row
from services.registry.importer import run_import
from services.registry.persistence.tables import ImportJob
from services.registry.validation import prefecture_of
from shared.events.inprocess import InProcessBus
from shared.identity import Principal, Role
from shared.service import ServiceRuntime
from tests.infra import postgres_url


def write_file(population: list[DemoEnterprise], path: Path) -> int:
    rows = 0
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            for demo in population:
                for year, report in demo.financials.items():
                    writer.writerow(export_row(demo.enterprise, report | {"year": year}))
                    rows += 1
        return rows
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业名录")
    sheet.append(HEADERS)
    for demo in population:
        for year, report in demo.financials.items():
            sheet.append(export_row(demo.enterprise, report | {"year": year}))
            rows += 1
    workbook.save(path)
    return rows


def database(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


async def migrated_runtime(url: str) -> ServiceRuntime:
    settings = settings_for("registry", mode="embedded", database_url=url, registry_demo_count=0, log_json=False)
    runtime = ServiceRuntime(definition_of("registry"), settings, InProcessBus(), run_relay=False)
    await runtime.migrate()
    return runtime


async def timed_import(base: str, path: Path) -> tuple[float, dict[str, Any]]:
    runtime = await migrated_runtime(database(base, f"bench_import_{uuid.uuid4().hex[:8]}"))
    job_id = str(uuid.uuid4())
    async with runtime.uow() as uow:
        uow.session.add(ImportJob(id=job_id, filename=path.name, dry_run=False, status="queued", created_by="bench",
                                  created_at=datetime.now(UTC)))  # fmt: skip
        await uow.commit()
    copy = path.with_name(f"import-{path.name}")  # run_import deletes its file when done
    copy.write_bytes(path.read_bytes())
    started = time.perf_counter()
    await run_import(runtime, job_id, copy, Principal(Role.ADMIN, None, "bench"), dry_run=False, chunk_rows=1000)
    elapsed = time.perf_counter() - started
    async with runtime.uow() as uow:
        job = await uow.session.get(ImportJob, job_id)
        assert job is not None
        outcome = {"status": job.status, "applied": job.applied_rows, "rejected": job.rejected_rows}
    await runtime.engine.dispose()
    return elapsed, outcome


def copy_records(population: list[DemoEnterprise]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    now = datetime.now(UTC)
    enterprises, reports = [], []
    for demo in population:
        e = demo.enterprise
        enterprises.append((
            e["uscc"], e["name"], e.get("legal_representative"), datetime.fromisoformat(e["established_on"]).date(),
            e["county_code"], prefecture_of(e["county_code"]), e["industry_code"], 1, now, now,
            "[]", "{}", "[]", "[]", "[]", "[]", "{}", "{}", "{}", "[]", "[]", "[]", "[]", "{}", "[]",
        ))  # fmt: skip
        for year, r in demo.financials.items():
            reports.append((e["uscc"], year, r["operating_revenue"], r["main_business_revenue"], r["rd_expense"],
                            r["net_profit"], r["total_assets"], r["total_liabilities"], r["employees"],
                            r["rd_staff"], r["new_equity_financing"], r["audited"], now))  # fmt: skip
    return enterprises, reports


ENTERPRISE_COLUMNS = [
    "uscc", "name", "legal_representative", "established_on", "county_code", "prefecture_code", "industry_code",
    "version", "created_at", "updated_at", "main_products", "ip", "rd_institutions", "core_systems",
    "management_certs", "product_certs", "quality", "field_flags", "champion", "awards", "maker_china", "honours",
    "compliance", "province_features", "evaluation_scores",
]  # fmt: skip
REPORT_COLUMNS = [
    "uscc", "year", "operating_revenue", "main_business_revenue", "rd_expense", "net_profit", "total_assets",
    "total_liabilities", "employees", "rd_staff", "new_equity_financing", "audited", "reported_at",
]  # fmt: skip


async def timed_copy(base: str, population: list[DemoEnterprise]) -> float:
    url = database(base, f"bench_copy_{uuid.uuid4().hex[:8]}")
    runtime = await migrated_runtime(url)
    await runtime.engine.dispose()
    enterprises, reports = copy_records(population)
    # The service derives its own database from the base URL (…_registry): copy into exactly that one.
    dsn = make_url(runtime.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("enterprise", records=enterprises, columns=ENTERPRISE_COLUMNS)
            await connection.copy_records_to_table("financial_report", records=reports, columns=REPORT_COLUMNS)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def main(count: int, file_format: str) -> None:
    base = postgres_url()
    population = list(generate_population(count, seed=7))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"register.{file_format}"
        started = time.perf_counter()
        rows = write_file(population, path)
        print(f"generated {count:,} enterprises, {rows:,} enterprise-years ({path.stat().st_size / 1e6:.1f} MB "
              f"{file_format}) in {time.perf_counter() - started:.1f}s")  # fmt: skip
        import_seconds, outcome = await timed_import(base, path)
    copy_seconds = await timed_copy(base, population)
    print(json.dumps(outcome))
    print(f"\n{'path':<44}{'seconds':>10}{'rows/s':>12}")
    print(f"{'import (parse, validate, write, outbox)':<44}{import_seconds:>10.1f}{rows / import_seconds:>12,.0f}")
    print(f"{'COPY of the same rows (physical anchor)':<44}{copy_seconds:>10.1f}{rows / copy_seconds:>12,.0f}")
    print(f"\nimport is {import_seconds / copy_seconds:.0f}× the COPY time")
    from bench.results import Result, write_fragment

    write_fragment(f"registry_import_{file_format}", [Result.measured(
        f"4 import: {file_format.upper()}", rows / import_seconds, "rows/s", "COPY of the same rows",
        rows / copy_seconds, higher_is_better=True,
        note=f"{count:,} enterprises, {rows:,} enterprise-years; {json.dumps(outcome)}",
    )])  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.enterprises, arguments.format))
