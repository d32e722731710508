"""The registry through the gateway (embedded platform): validation, optimistic concurrency,
idempotency, who may see and change what, and one event per write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from tests.support.builders import HONGHE_GEJIU, KUNMING_WUHUA, credit_code, enterprise, financials
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")
ENTERPRISES = "/api/v1/registry/enterprises"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as running:
        yield running


async def outbox_count(platform: RunningPlatform) -> int:
    runtime = platform.platform.runtimes["registry"]
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(uow.tables.outbox)) or 0)


async def test_a_bad_credit_code_is_refused_field_by_field_in_both_languages(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(1) | {"uscc": "91530102MA6K7U9X3Z", "county_code": "110101", "industry_code": "C9999"}
    response = await admin.post(ENTERPRISES, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {error["field"]: error for error in response.json()["errors"]}
    assert set(fields) == {"uscc", "county_code", "industry_code"}
    assert "/" in fields["uscc"]["message"]  # zh / en
    assert await outbox_count(platform) == 0


async def test_each_write_emits_exactly_one_event(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(2)
    created = await admin.post(ENTERPRISES, json=body)
    assert created.status_code == 201, created.text
    assert await outbox_count(platform) == 1
    put = await admin.put(f"{ENTERPRISES}/{body['uscc']}/financials/2025", json=financials())
    assert put.status_code == 201, put.text
    assert await outbox_count(platform) == 2
    etag = (await admin.get(f"{ENTERPRISES}/{body['uscc']}")).headers["ETag"]
    patched = await admin.patch(f"{ENTERPRISES}/{body['uscc']}", json={"digital_level": 3}, headers={"If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert await outbox_count(platform) == 3
    unchanged = await admin.patch(
        f"{ENTERPRISES}/{body['uscc']}", json={"digital_level": 3}, headers={"If-Match": patched.headers["ETag"]}
    )
    assert unchanged.status_code == 200
    assert await outbox_count(platform) == 3, "a PATCH that changes nothing emits nothing"


async def test_two_stale_writers_one_wins_one_gets_412(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(3)
    etag = (await admin.post(ENTERPRISES, json=body)).headers["ETag"]
    url = f"{ENTERPRISES}/{body['uscc']}"
    first, second = await asyncio.gather(
        admin.patch(url, json={"niche_market": "锗单晶"}, headers={"If-Match": etag}),
        admin.patch(url, json={"niche_market": "磷化铟"}, headers={"If-Match": etag}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    assert (await admin.patch(url, json={"digital_level": 4})).status_code == 428


async def test_a_retried_post_with_the_same_idempotency_key_has_one_effect(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(4)
    headers = {"Idempotency-Key": "import-2026-11-22-row-4"}
    first = await admin.post(ENTERPRISES, json=body, headers=headers)
    again = await admin.post(ENTERPRISES, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert await outbox_count(platform) == 1
    other = await admin.post(ENTERPRISES, json=enterprise(5), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert (await admin.post(ENTERPRISES, json=body)).status_code == 409


async def test_a_retried_financial_report_with_its_idempotency_key_is_announced_once(
    platform: RunningPlatform,
) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(8)
    assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
    url, headers = f"{ENTERPRISES}/{body['uscc']}/financials/2025", {"Idempotency-Key": "fin-8-2025"}
    first = await admin.put(url, json=financials(), headers=headers)
    again = await admin.put(url, json=financials(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert await outbox_count(platform) == 2, "one registration, one report: the replay emits nothing"
    without_key = await admin.put(url, json=financials())
    assert without_key.status_code == 200 and await outbox_count(platform) == 3


async def test_enterprise_a_can_neither_read_nor_write_b(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    a, b = enterprise(6), enterprise(7)
    for body in (a, b):
        assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
    as_a = await platform.client(Role.ENTERPRISE, a["uscc"])

    assert (await as_a.get(f"{ENTERPRISES}/{a['uscc']}")).status_code == 200
    assert (await as_a.get(f"{ENTERPRISES}/{b['uscc']}")).status_code == 404
    listed = (await as_a.get(ENTERPRISES)).json()["data"]
    assert [e["uscc"] for e in listed] == [a["uscc"]]
    assert (await as_a.get(ENTERPRISES, params={"q": b["uscc"]})).json()["data"] == []
    assert (await as_a.put(f"{ENTERPRISES}/{b['uscc']}/financials/2025", json=financials())).status_code == 404
    assert (await as_a.patch(f"{ENTERPRISES}/{b['uscc']}", json={}, headers={"If-Match": 'W/"1"'})).status_code == 404
    assert (await as_a.post(ENTERPRISES, json=enterprise(8))).status_code == 403


async def test_prefecture_operators_see_only_their_prefecture(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    kunming, honghe = enterprise(9, KUNMING_WUHUA), enterprise(10, HONGHE_GEJIU)
    for body in (kunming, honghe):
        assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
    operator = await platform.client(Role.PREFECTURE_OPERATOR, "5325")

    listed = (await operator.get(ENTERPRISES)).json()["data"]
    assert [e["uscc"] for e in listed] == [honghe["uscc"]]
    assert listed[0]["contact_phone"] != honghe["contact_phone"], "contacts are masked in lists"
    assert (await operator.get(f"{ENTERPRISES}/{kunming['uscc']}")).status_code == 404
    assert (await operator.post(ENTERPRISES, json=enterprise(11, KUNMING_WUHUA))).status_code == 403
    assert (await operator.post(ENTERPRISES, json=enterprise(12, HONGHE_GEJIU))).status_code == 201


async def test_banks_see_nothing_and_platforms_only_read(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(13)
    etag = (await admin.post(ENTERPRISES, json=body)).headers["ETag"]
    bank = await platform.client(Role.BANK, "bank-1")
    other_platform = await platform.client(Role.PLATFORM, "gov-platform")

    assert (await bank.get(ENTERPRISES)).status_code == 403
    assert (await bank.get(f"{ENTERPRISES}/{body['uscc']}")).status_code == 403
    assert (await other_platform.get(f"{ENTERPRISES}/{body['uscc']}")).status_code == 200
    patch = await other_platform.patch(f"{ENTERPRISES}/{body['uscc']}", json={"digital_level": 1},
                                       headers={"If-Match": etag})  # fmt: skip
    assert patch.status_code == 403


async def test_identity_headers_from_outside_are_ignored(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    body = enterprise(14)
    assert (await admin.post(ENTERPRISES, json=body)).status_code == 201
    forged = sign_identity(Principal(Role.ADMIN, None, "forged"), "guessed-key-" * 4)
    real = sign_identity(
        Principal(Role.ADMIN, None, "forged"), platform.platform.runtimes["registry"].settings.internal_signing_key
    )

    anonymous = await platform.gateway.get(f"{ENTERPRISES}/{body['uscc']}", headers={IDENTITY_HEADER: real})
    assert anonymous.status_code == 401, "without an API key a (even validly signed) header is dropped"
    as_b = await platform.client(Role.ENTERPRISE, credit_code(99))
    spoofed = await as_b.get(f"{ENTERPRISES}/{body['uscc']}", headers={IDENTITY_HEADER: real})
    assert spoofed.status_code == 404, "the gateway replaces the header with the caller's own identity"
    registry_app = platform.platform.service_apps["registry"]
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app), base_url="http://r") as direct:
        assert (await direct.get(f"{ENTERPRISES}/{body['uscc']}", headers={IDENTITY_HEADER: forged})).status_code == 401
