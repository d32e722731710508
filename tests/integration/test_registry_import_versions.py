"""The set-based import on SQLite and PostgreSQL: a re-filed sheet where half the rows are updates
carrying stale versions. Exactly those rows are refused; everything else lands, with one outbox
event per changed enterprise and nothing more; the dry run predicts it all."""

from __future__ import annotations

import csv
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from services.registry.api.schemas import EnterpriseCreate, EnterpriseUpdate, FinancialReportIn
from services.registry.app import DEFINITION
from services.registry.config import RegistrySettings
from services.registry.persistence import bulk
from services.registry.persistence.tables import Enterprise, FinancialReport, ImportJob, ImportProblem
from services.registry.usecases import commands
from services.registry.usecases.importer import run_import
from shared.events.catalogue import EnterpriseRegistered
from shared.events.envelope import Envelope
from shared.events.inprocess import InProcessBus
from shared.identity import Principal, Role
from shared.service import ServiceRuntime
from tests.support.builders import credit_code

pytestmark = pytest.mark.asyncio(loop_scope="session")
ADMIN = Principal(Role.ADMIN, None, "import-test")
STALE = [credit_code(920_000 + n) for n in range(4)]  # changed by someone else since the export
CURRENT = [credit_code(920_010 + n) for n in range(2)]  # still at the exported version
UNTOUCHED = [credit_code(920_020 + n) for n in range(2)]  # not in the file at all
NEW = [credit_code(920_030 + n) for n in range(2)]  # not registered yet
HEADERS = ["企业名称", "统一社会信用代码", "所在区县代码", "行业代码", "财务年度", "营业收入(元)", "从业人员", "版本号"]


def postgres_settings(postgres_url: str) -> RegistrySettings:
    url = make_url(postgres_url).set(database=f"srdi_t{secrets.token_hex(4)}").render_as_string(hide_password=False)
    return RegistrySettings(database_url=url, registry_demo_count=0, log_json=False)


@pytest.fixture(params=["sqlite", "postgresql"])
async def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    if request.param == "sqlite":
        settings = RegistrySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'srdi.db'}",
                                    registry_demo_count=0, log_json=False)  # fmt: skip
    else:
        settings = postgres_settings(request.getfixturevalue("postgres_url"))
    service = ServiceRuntime(DEFINITION, settings, InProcessBus(), run_relay=False, run_consumers=False)
    await service.migrate()
    yield service
    await service.engine.dispose()


def report(revenue: int) -> FinancialReportIn:
    return FinancialReportIn(operating_revenue=revenue, employees=120)


async def seed(runtime: ServiceRuntime) -> None:
    async with runtime.uow() as uow:
        for uscc in STALE + CURRENT + UNTOUCHED:
            data = EnterpriseCreate(uscc=uscc, name=f"云南原名{uscc[-4:]}有限公司", county_code="530102",
                                    industry_code="C3985")  # fmt: skip
            await commands.register(uow, data, {2023: report(50_000_000)})
        await uow.commit()
    async with runtime.uow() as uow:  # someone else edits four of them after the export: version 2
        for uscc in STALE:
            enterprise = await uow.session.get(Enterprise, uscc)
            assert enterprise is not None
            await commands.update_enterprise(uow, enterprise, EnterpriseUpdate(name=f"云南他人改名{uscc[-4:]}有限公司"))
        await uow.commit()


def sheet(path: Path) -> dict[int, str]:
    """Two rows per enterprise (2023 corrected, 2024 added); returns row → credit code."""
    rows: dict[int, str] = {}
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        number = 1
        for uscc in STALE + CURRENT + NEW:
            version = "" if uscc in NEW else "1"
            for year, revenue in ((2023, 55_000_000), (2024, 61_000_000)):
                number += 1
                rows[number] = uscc
                writer.writerow([f"云南新名{uscc[-4:]}有限公司", uscc, "530102", "C3985", year, revenue, 130, version])
    return rows


async def state(runtime: ServiceRuntime) -> dict[str, Any]:
    async with runtime.uow() as uow:
        enterprises = {e.uscc: e.model_dump() for e in await uow.session.exec(select(Enterprise))}
        reports = {(r.uscc, r.year): r.model_dump() for r in await uow.session.exec(select(FinancialReport))}
        outbox = [dict(row._mapping) for row in await uow.session.execute(text("SELECT * FROM outbox ORDER BY id"))]
    return {"enterprises": enterprises, "reports": reports, "outbox": outbox}


async def imported(runtime: ServiceRuntime, path: Path, dry_run: bool) -> tuple[ImportJob, list[ImportProblem]]:
    job_id = str(uuid.uuid4())
    async with runtime.uow() as uow:
        uow.session.add(ImportJob(id=job_id, filename=path.name, dry_run=dry_run, status="queued", created_by="test",
                                  created_at=datetime.now(UTC)))  # fmt: skip
        await uow.commit()
    copy = path.with_name(f"{job_id}.csv")  # the job deletes its upload
    copy.write_bytes(path.read_bytes())
    await run_import(runtime, job_id, copy, ADMIN, dry_run=dry_run, chunk_rows=5)
    async with runtime.uow() as uow:
        job = await uow.session.get(ImportJob, job_id)
        problems = list(await uow.session.exec(select(ImportProblem).where(ImportProblem.job_id == job_id)))
    assert job is not None and job.status == "done", job
    return job, sorted(problems, key=lambda p: p.row)


async def test_stale_versions_are_refused_row_by_row_and_nothing_else_changes(
    runtime: ServiceRuntime, tmp_path: Path
) -> None:
    await seed(runtime)
    rows = sheet(tmp_path / "refiled.csv")
    stale_rows = [row for row, uscc in rows.items() if uscc in STALE]
    assert len(stale_rows) == len(rows) // 2
    before = await state(runtime)

    dry, dry_problems = await imported(runtime, tmp_path / "refiled.csv", dry_run=True)
    assert await state(runtime) == before, "a dry run writes nothing"
    job, problems = await imported(runtime, tmp_path / "refiled.csv", dry_run=False)

    assert [p.row for p in problems] == stale_rows
    assert {(p.column, p.value) for p in problems} == {("版本号", "1")}
    assert all("stale version" in p.problem_en and "version 2" in p.problem_en for p in problems)
    assert all("版本已过期" in p.problem_zh for p in problems)
    assert (job.applied_rows, job.rejected_rows) == (len(rows) - len(stale_rows), len(stale_rows))
    assert (dry.applied_rows, dry.rejected_rows) == (job.applied_rows, job.rejected_rows), "the dry run predicted it"
    assert [(p.row, p.column, p.value, p.problem_en) for p in dry_problems] == [
        (p.row, p.column, p.value, p.problem_en) for p in problems
    ]

    after = await state(runtime)
    for uscc in STALE + UNTOUCHED:  # refused or absent: not a byte changed
        assert after["enterprises"][uscc] == before["enterprises"][uscc]
        assert {k: v for k, v in after["reports"].items() if k[0] == uscc} == {
            k: v for k, v in before["reports"].items() if k[0] == uscc
        }
    for uscc in CURRENT:
        record = after["enterprises"][uscc]
        assert (record["name"], record["version"]) == (f"云南新名{uscc[-4:]}有限公司", 2)
    for uscc in NEW:
        assert after["enterprises"][uscc]["version"] == 1
    for uscc in CURRENT + NEW:
        assert after["reports"][(uscc, 2023)]["operating_revenue"] == 55_000_000
        assert after["reports"][(uscc, 2024)]["operating_revenue"] == 61_000_000

    assert after["outbox"][: len(before["outbox"])] == before["outbox"]
    events = [json.loads(row["envelope"]) for row in after["outbox"][len(before["outbox"]) :]]
    assert sorted((e["subject"], e["type"]) for e in events) == sorted(
        [(u, "srdi.registry.enterprise.updated.v1") for u in CURRENT]
        + [(u, "srdi.registry.enterprise.registered.v1") for u in NEW]
    ), "one event per changed enterprise, none for the refused"
    for event in events:
        snapshot = event["data"]["enterprise"]
        assert snapshot["version"] == after["enterprises"][event["subject"]]["version"]
        assert [(f["year"], f["operating_revenue"]) for f in snapshot["financials"]] == [
            (2023, "55000000"),
            (2024, "61000000"),
        ]
        if event["subject"] in CURRENT:
            assert event["data"]["changed_fields"] == ["financials", "name"]

    again, _ = await imported(runtime, tmp_path / "refiled.csv", dry_run=False)
    assert len((await state(runtime))["outbox"]) == len(after["outbox"]), "an unchanged re-import emits nothing"
    assert again.rejected_rows == len(stale_rows) + 4, "the versions applied a moment ago are stale now"


async def test_an_imported_enterprise_is_announced_exactly_as_a_registered_one(
    runtime: ServiceRuntime, tmp_path: Path
) -> None:
    """The bulk path builds its events from the values it writes: the envelope must carry what
    ``commands.register`` announces for the same enterprise (and parse as the relay parses it)."""
    twin, imported_code = credit_code(920_040), credit_code(920_041)
    facts = {"name": "云南对照材料有限公司", "county_code": "530102", "industry_code": "C3985",
             "legal_representative": "张三", "established_on": "2014-05-20", "niche_market": "电子专用材料",
             "niche_since": 2015, "main_products": ["高纯锗单晶", "锗片"], "contact_phone": "13812345678",
             "contact_email": "ops@example.cn"}  # fmt: skip
    figures = {"operating_revenue": "75000000", "main_business_revenue": "70000000", "rd_expense": "3600000.50",
               "employees": 230, "rd_staff": 41, "audited": True}  # fmt: skip
    async with runtime.uow() as uow:
        await commands.register(uow, EnterpriseCreate(uscc=twin, **facts), {2023: FinancialReportIn(**figures)})
        await uow.commit()
    path = tmp_path / "one.csv"
    cells = {"企业名称": facts["name"], "统一社会信用代码": imported_code, "所在区县代码": "530102",
             "行业代码": "C3985", "法定代表人": "张三", "成立日期": "2014-05-20", "细分市场": "电子专用材料",
             "进入细分市场年份": "2015", "主导产品": "高纯锗单晶；锗片", "联系电话": "13812345678",
             "电子邮箱": "ops@example.cn", "财务年度": "2023",
             "营业收入(元)": "75,000,000", "主营业务收入(元)": "70000000", "研发费用(元)": "3600000.50",
             "从业人员": "230", "研发人员": "41.0", "是否审计": "是"}  # fmt: skip
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(cells))
        writer.writerow(list(cells.values()))
    job, problems = await imported(runtime, path, dry_run=False)
    assert problems == [] and job.applied_rows == 1

    outbox = (await state(runtime))["outbox"]
    by_subject = {row["subject"]: Envelope.model_validate_json(row["envelope"]) for row in outbox}
    registered, bulk_registered = by_subject[twin], by_subject[imported_code]
    assert (bulk_registered.type, bulk_registered.source) == (registered.type, registered.source)

    def without_code(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "uscc": None, "enterprise": {**data["enterprise"], "uscc": None}}

    assert without_code(bulk_registered.data) == without_code(registered.data)
    assert EnterpriseRegistered.model_validate(bulk_registered.data).enterprise.financials[0].rd_staff == 41


async def test_an_enterprise_the_database_refuses_fails_alone(postgres_url: str, tmp_path: Path) -> None:
    """A value PostgreSQL cannot store (beyond the money column's precision) sinks neither the batch
    nor the file: the batch is bisected until that enterprise stands alone and is reported."""
    settings = postgres_settings(postgres_url)
    runtime = ServiceRuntime(DEFINITION, settings, InProcessBus(), run_relay=False, run_consumers=False)
    await runtime.migrate()
    try:
        codes = [credit_code(920_050 + n) for n in range(6)]
        path = tmp_path / "overflow.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            for n, uscc in enumerate(codes):
                revenue = "1" + "0" * 30 if n == 3 else "61000000"
                writer.writerow([f"云南溢出{n}有限公司", uscc, "530102", "C3985", 2024, revenue, 130, ""])
        job, problems = await imported(runtime, path, dry_run=False)
        assert {p.row for p in problems} == {5}, [(p.row, p.problem_en) for p in problems]
        assert job.applied_rows == 5
        subjects = [row["subject"] for row in (await state(runtime))["outbox"]]
        assert sorted(subjects) == sorted(codes[:3] + codes[4:])
    finally:
        await runtime.engine.dispose()


async def test_an_enterprise_registered_meanwhile_is_refused_alone(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone registers one of the file's new enterprises after the batch was resolved, before it is
    written: the direct COPY fails, the batch goes through the staging tables, and only that
    enterprise is refused — the rival's registration stands, the others land, one event each."""
    settings = postgres_settings(postgres_url)
    runtime = ServiceRuntime(DEFINITION, settings, InProcessBus(), run_relay=False, run_consumers=False)
    await runtime.migrate()
    codes = [credit_code(920_060 + n) for n in range(5)]
    racer = codes[2]
    real_apply = bulk.apply
    raced: list[str] = []

    async def apply_after_a_rival(uow: Any, plan: bulk.Plan, now: datetime) -> bulk.Written:
        if not raced:
            async with runtime.uow() as rival:
                data = EnterpriseCreate(uscc=racer, name="云南抢先登记有限公司", county_code="530102",
                                        industry_code="C3985")  # fmt: skip
                await commands.register(rival, data, {})
                await rival.commit()
            raced.append(racer)
        return await real_apply(uow, plan, now)

    monkeypatch.setattr(bulk, "apply", apply_after_a_rival)
    try:
        path = tmp_path / "race.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS)
            for n, uscc in enumerate(codes):
                writer.writerow([f"云南并发{n}有限公司", uscc, "530102", "C3985", 2024, 61_000_000, 130, ""])
        job, problems = await imported(runtime, path, dry_run=False)
        assert raced == [racer]
        assert [(p.row, p.value, p.problem_en) for p in problems] == [(4, racer, "Enterprise already registered")]
        assert job.applied_rows == 4
        after = await state(runtime)
        assert after["enterprises"][racer]["name"] == "云南抢先登记有限公司", "the rival's registration stands"
        assert {uscc: after["enterprises"][uscc]["name"] for uscc in codes if uscc != racer} == {
            uscc: f"云南并发{n}有限公司" for n, uscc in enumerate(codes) if uscc != racer
        }
        assert sorted(row["subject"] for row in after["outbox"]) == sorted(codes)  # the rival's own event + 4
        assert {(uscc, 2024) for uscc in codes if uscc != racer} == set(after["reports"])
    finally:
        await runtime.engine.dispose()
