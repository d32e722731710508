"""The eligibility service through the gateway (embedded platform): the public contract, an
enterprise's assessment, roadmap, seed banks and target lists, the pyramid, re-assessment jobs —
each with who may call it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shared.identity import Role
from tests.support.builders import HONGHE_GEJIU, enterprise, financials
from tests.support.platform import RunningPlatform, running_platform
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
CONTRACT_EXAMPLE = Path(__file__).parents[1] / "unit" / "eligibility" / "contract_example.json"
ELIGIBILITY = "/api/v1/eligibility"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, eligibility_assessment_year=2025) as running:
        yield running


async def register_assessed(platform: RunningPlatform, serial: int, county: str = HONGHE_GEJIU) -> str:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(serial, county=county)
    assert (await admin.post("/api/v1/registry/enterprises", json=body)).status_code == 201
    for year, revenue in ((2023, 75_000_000), (2024, 86_000_000)):
        put = await admin.put(
            f"/api/v1/registry/enterprises/{body['uscc']}/financials/{year}", json=financials(revenue)
        )
        assert put.status_code == 201

    async def latest() -> Any:
        return await admin.get(f"{ELIGIBILITY}/enterprises/{body['uscc']}/assessment")

    await eventually(latest, lambda r: r.status_code == 200 and r.json()["trigger"].endswith("financials.reported.v1"),
                     what="an assessment after the reports")  # fmt: skip
    return str(body["uscc"])


async def test_the_public_contract_answers_without_a_key(platform: RunningPlatform) -> None:
    request = json.loads(CONTRACT_EXAMPLE.read_text())
    response = await platform.gateway.post(f"{ELIGIBILITY}/evaluate", json=request)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["tier"] for r in results] == request["tiers"]
    assert results[0]["rule_set"] == "innovative_sme@2022-06-01" and results[0]["eligible"] is True


async def test_an_enterprise_sees_its_assessment_and_roadmap_and_nobody_elses(platform: RunningPlatform) -> None:
    uscc = await register_assessed(platform, 5001)
    own = await platform.client(Role.ENTERPRISE, uscc)
    assessment = (await own.get(f"{ELIGIBILITY}/enterprises/{uscc}/assessment")).json()
    assert {r["tier"] for r in assessment["results"]} >= {"innovative_sme", "srdi_sme", "little_giant"}
    roadmap = await own.get(f"{ELIGIBILITY}/enterprises/{uscc}/roadmap", params={"target": "little_giant"})
    assert roadmap.status_code == 200, roadmap.text
    plan = roadmap.json()
    assert plan["target_tier"] == "little_giant" and plan["steps"], "a little-giant roadmap lists steps"
    assert all("measures" in step and step["gap"]["message"]["zh"] for step in plan["steps"])

    other = await platform.client(Role.ENTERPRISE, enterprise(5002)["uscc"])
    assert (await other.get(f"{ELIGIBILITY}/enterprises/{uscc}/assessment")).status_code == 404
    assert (await other.get(f"{ELIGIBILITY}/enterprises/{uscc}/roadmap")).status_code == 404
    bank = await platform.client(Role.BANK, "bank-1")
    assert (await bank.get(f"{ELIGIBILITY}/enterprises/{uscc}/assessment")).status_code == 403


async def test_seed_banks_are_built_scoped_and_exported(platform: RunningPlatform) -> None:
    for serial in range(6001, 6004):
        await register_assessed(platform, serial)
    honghe = await platform.client(Role.PREFECTURE_OPERATOR, "5325")
    built = await honghe.post(f"{ELIGIBILITY}/seed-banks", json={"year": 2026, "tier": "innovative_sme"})
    assert built.status_code == 201, built.text
    bank = built.json()
    assert bank["scope"] == "5325" and bank["multiple"] == 2 and bank["filing_deadline"] == "2026-01-31"
    assert bank["pool_size"] >= 1 and bank["size"] == len(bank["entries"]) <= bank["required_size"]
    assert [e["rank"] for e in bank["entries"]] == list(range(1, bank["size"] + 1))
    exported = await honghe.get(f"{ELIGIBILITY}/seed-banks/{bank['id']}/export.xlsx")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"

    kunming = await platform.client(Role.PREFECTURE_OPERATOR, "5301")
    assert (await kunming.get(f"{ELIGIBILITY}/seed-banks/{bank['id']}")).status_code == 404
    other_scope = await kunming.post(f"{ELIGIBILITY}/seed-banks",
                                     json={"year": 2026, "tier": "innovative_sme", "prefecture": "5325"})  # fmt: skip
    assert other_scope.status_code == 403
    an_enterprise = await platform.client(Role.ENTERPRISE, enterprise(6001, county=HONGHE_GEJIU)["uscc"])
    assert (await an_enterprise.get(f"{ELIGIBILITY}/seed-banks")).status_code == 403
    target = await honghe.post(f"{ELIGIBILITY}/target-lists", json={"year": 2026, "tier": "little_giant"})
    assert target.status_code == 201 and target.json()["kind"] == "target_list"


async def test_the_pyramid_counts_per_prefecture_and_is_scoped(platform: RunningPlatform) -> None:
    await register_assessed(platform, 7001)
    province = await platform.client(Role.PROVINCIAL_OPERATOR, "53")
    pyramid = (await province.get(f"{ELIGIBILITY}/pyramid")).json()
    innovative = next(t for t in pyramid["tiers"] if t["tier"] == "innovative_sme")
    assert innovative["by_prefecture"]["5325"]["eligible"] == innovative["eligible"] == 1
    kunming = await platform.client(Role.PREFECTURE_OPERATOR, "5301")
    assert (await kunming.get(f"{ELIGIBILITY}/pyramid")).json() == {"scope": "5301", "tiers": []}


async def test_a_reassessment_job_runs_over_the_register_with_progress(platform: RunningPlatform) -> None:
    await register_assessed(platform, 8001)
    province = await platform.client(Role.PROVINCIAL_OPERATOR, "53")
    started = await province.post(f"{ELIGIBILITY}/reassessments", json={"reason": "rule files reviewed"})
    assert started.status_code == 202
    job_id = started.json()["id"]

    async def status() -> Any:
        return (await province.get(f"{ELIGIBILITY}/reassessments/{job_id}")).json()

    done = await eventually(status, lambda job: job["status"] in ("done", "failed"), what="the job to finish")
    assert done["status"] == "done" and done["processed"] == done["total"] == 1
    assert done["flipped"] == 0, "nothing changed, so the batch path agrees with the stored status"
    operator = await platform.client(Role.PREFECTURE_OPERATOR, "5325")
    assert (await operator.post(f"{ELIGIBILITY}/reassessments", json={"reason": "x y"})).status_code == 403
