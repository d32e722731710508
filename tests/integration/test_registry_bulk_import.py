"""Bulk import through the gateway: the messy spreadsheet's per-row report, dry run, scope, and an
export that re-imports cleanly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.identity import Role
from tests.fixtures.make_messy_register import APPLIED, EXPECTED, ROWS
from tests.support.platform import RunningPlatform, running_platform
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
FIXTURE = Path(__file__).parents[1] / "fixtures" / "messy_register.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, registry_import_dir=tmp_path / "imports") as running:
        yield running


async def run_import(client: httpx.AsyncClient, content: bytes, name: str, dry_run: bool) -> dict[str, Any]:
    started = await client.post("/api/v1/registry/imports", params={"dry_run": dry_run},
                                files={"file": (name, content, XLSX)})  # fmt: skip
    assert started.status_code == 202, started.text

    async def status() -> dict[str, Any]:
        return (await client.get(started.json()["status_url"], params={"limit": 1000})).json()  # type: ignore[no-any-return]

    return await eventually(status, lambda job: job["status"] in ("done", "failed"), what="the import to finish")


async def test_the_messy_spreadsheet_gets_a_report_for_every_bad_row(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    dry = await run_import(admin, FIXTURE.read_bytes(), "messy.xlsx", dry_run=True)
    assert dry["status"] == "done" and dry["processed_rows"] == len(ROWS)
    assert (await admin.get("/api/v1/registry/enterprises")).json()["data"] == [], "a dry run writes nothing"

    job = await run_import(admin, FIXTURE.read_bytes(), "messy.xlsx", dry_run=False)
    assert job["status"] == "done"
    by_row = {problem["row"]: problem for problem in job["problems"]}
    assert set(by_row) == set(EXPECTED), job["problems"]
    for row_number, (column, fragment) in EXPECTED.items():
        assert by_row[row_number]["column"] == column, by_row[row_number]
        assert fragment in by_row[row_number]["problem"]["en"], by_row[row_number]
        assert by_row[row_number]["problem"]["zh"]
    assert (job["applied_rows"], job["rejected_rows"]) == (5, len(EXPECTED))
    assert job["problems"] == dry["problems"], "the dry run predicted the real outcome"

    for uscc, years in APPLIED.items():
        record = (await admin.get(f"/api/v1/registry/enterprises/{uscc}")).json()
        assert [f["year"] for f in record["financials"]] == years
    first = (await admin.get(f"/api/v1/registry/enterprises/{next(iter(APPLIED))}")).json()
    assert [f["operating_revenue"] for f in first["financials"]] == ["75000000.00", "86000000.00", "99000000.00"]


async def test_operators_import_only_their_prefecture_and_enterprises_not_at_all(platform: RunningPlatform) -> None:
    honghe = await platform.client(Role.PREFECTURE_OPERATOR, "5325")
    job = await run_import(honghe, FIXTURE.read_bytes(), "messy.xlsx", dry_run=True)
    out_of_scope = [p for p in job["problems"] if p["column"] == "所在区县代码" and "scope" in p["problem"]["en"]]
    assert {p["row"] for p in out_of_scope} == {2, 3, 4, 5, 15}, "Kunming rows are refused to Honghe"
    someone = await platform.client(Role.ENTERPRISE, next(iter(APPLIED)))
    response = await someone.post("/api/v1/registry/imports", files={"file": ("x.xlsx", FIXTURE.read_bytes(), XLSX)})
    assert response.status_code == 403


async def test_an_export_reimports_without_a_single_problem(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    await run_import(admin, FIXTURE.read_bytes(), "messy.xlsx", dry_run=False)
    exported = await admin.get("/api/v1/registry/exports/enterprises.xlsx")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    again = await run_import(admin, exported.content, "export.xlsx", dry_run=True)
    assert again["status"] == "done" and again["problems"] == [] and again["applied_rows"] == 5
    template = await admin.get("/api/v1/registry/imports/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
