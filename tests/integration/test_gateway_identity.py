"""Identity at the gateway: API keys (shown once, scoped, expiring, rotated with overlap, revoked
at once), OAuth2 client credentials, user log-in with argon2id, and tampered or expired tokens."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.gateway.domain.tokens import issue_token
from services.gateway.persistence.tables import ApiKey
from shared.identity import Principal, Role
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")
KEYS = "/api/v1/gateway/api-keys"
TOKEN = "/api/v1/gateway/oauth/token"
WHOAMI = "/api/v1/gateway/whoami"
JWT_SECRET = "integration-test-jwt-secret-0123456789abcdef"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, gateway_jwt_secret=JWT_SECRET, gateway_client_token_ttl_seconds=60) as p:
        yield p


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_key_is_shown_once_listed_without_secret_and_revoked_at_once(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    issued = await admin.post(KEYS, json={"role": "bank", "tenant": "bank-a", "name": "Bank A"})
    assert issued.status_code == 201
    key = issued.json()["key"]
    listed = (await admin.get(KEYS)).text
    assert key not in listed and issued.json()["prefix"] in listed
    gw = platform.gateway
    assert (await gw.get(WHOAMI, headers=bearer(key))).json()["tenant"] == "bank-a"
    revoked = await admin.delete(f"{KEYS}/{issued.json()['prefix']}")
    assert revoked.json()["status"] == "revoked"
    assert (await gw.get(WHOAMI, headers=bearer(key))).status_code == 401


async def test_rotation_keeps_the_old_key_for_the_overlap_window_only(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    old = (await admin.post(KEYS, json={"role": "platform", "tenant": "p1", "name": "P1"})).json()
    rotated = await admin.post(f"{KEYS}/{old['prefix']}/rotate", json={"overlap_seconds": 3600})
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["key"] != old["key"] and new["tenant"] == "p1" and new["role"] == "platform"
    gw = platform.gateway
    assert (await gw.get(WHOAMI, headers=bearer(old["key"]))).status_code == 200  # inside the overlap
    assert (await gw.get(WHOAMI, headers=bearer(new["key"]))).status_code == 200
    # the overlap ends: move the old key's expiry into the past as the clock would
    runtime = platform.platform.runtimes["gateway"]
    async with runtime.uow() as uow:
        from sqlmodel import select

        row = (await uow.session.exec(select(ApiKey).where(ApiKey.prefix == old["prefix"]))).one()
        assert row.replaced_by == new["prefix"]
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        uow.session.add(row)
        await uow.commit()
    # An edit behind the API's back reaches the gateway's credential cache only after its TTL (the clock,
    # had it moved, would have ended the cached entry too): tell the cache, as the API's own changes do.
    await platform.platform.app.state.auth_cache.invalidate()
    assert (await gw.get(WHOAMI, headers=bearer(old["key"]))).status_code == 401
    assert (await gw.get(WHOAMI, headers=bearer(new["key"]))).status_code == 200
    status = {k["prefix"]: k["status"] for k in (await admin.get(KEYS)).json()}
    assert status[old["prefix"]] == "expired" and status[new["prefix"]] == "active"
    # a rotation with no overlap cuts the old key off at once
    again = (await admin.post(f"{KEYS}/{new['prefix']}/rotate", json={"overlap_seconds": 0})).json()
    assert (await gw.get(WHOAMI, headers=bearer(new["key"]))).status_code == 401
    assert (await gw.get(WHOAMI, headers=bearer(again["key"]))).status_code == 200


async def test_an_expiring_key_and_scopes(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    scoped = (await admin.post(KEYS, json={"role": "platform", "tenant": "p2", "name": "P2",
                                           "scopes": ["eligibility:read"], "expires_in_days": 30})).json()  # fmt: skip
    assert datetime.fromisoformat(scoped["expires_at"]) > datetime.now(UTC) + timedelta(days=29)
    gw = platform.gateway
    assert (await gw.get("/api/v1/eligibility/rule-sets", headers=bearer(scoped["key"]))).status_code == 200
    denied = await gw.get("/api/v1/registry/enterprises", headers=bearer(scoped["key"]))
    assert denied.status_code == 403 and "registry:read" in denied.json()["detail"]
    bad = await admin.post(KEYS, json={"role": "platform", "name": "x", "scopes": ["everything"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "scopes.0"
    for role in (Role.BANK, Role.PLATFORM, Role.PREFECTURE_OPERATOR):
        lesser = await platform.client(role, "t")
        assert (await lesser.post(KEYS, json={"role": "admin", "name": "me"})).status_code == 403


async def test_client_credentials_give_a_short_lived_jwt_that_dies_with_its_key(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    client = (await admin.post(KEYS, json={"role": "platform", "tenant": "yn-gov", "name": "Gov",
                                           "scopes": ["integration:read", "registry:read"]})).json()  # fmt: skip
    gw = platform.gateway
    basic = base64.b64encode(f"{client['prefix']}:{client['key']}".encode()).decode()
    answer = await gw.post(TOKEN, data={"grant_type": "client_credentials", "scope": "registry:read"},
                           headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 60 and body["scope"] == "registry:read"
    assert answer.headers["Cache-Control"] == "no-store"
    token = body["access_token"]
    me = (await gw.get(WHOAMI, headers=bearer(token))).json()
    assert me == {"role": "platform", "tenant": "yn-gov", "subject": f"key:{client['prefix']}", "name": "Gov",
                  "scopes": []}  # fmt: skip
    assert (await gw.get("/api/v1/registry/enterprises", headers=bearer(token))).status_code == 200
    assert (await gw.get("/api/v1/eligibility/rule-sets", headers=bearer(token))).status_code == 403  # narrowed
    # form-body client authentication works too; a wider scope than granted does not
    form = {"grant_type": "client_credentials", "client_id": client["prefix"], "client_secret": client["key"]}
    assert (await gw.post(TOKEN, data=form)).status_code == 200
    wider = await gw.post(TOKEN, data=form | {"scope": "finance:write"})
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    wrong = await gw.post(TOKEN, data=form | {"client_secret": client["key"][:-1] + "x"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = await gw.post(TOKEN, data=form | {"grant_type": "password"})
    assert grant.json()["error"] == "unsupported_grant_type"
    # revoking the key kills its tokens at once
    await admin.delete(f"{KEYS}/{client['prefix']}")
    assert (await gw.get(WHOAMI, headers=bearer(token))).status_code == 401


async def test_expired_tampered_and_foreign_tokens_are_refused(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    client = (await admin.post(KEYS, json={"role": "platform", "tenant": "p3", "name": "P3"})).json()
    principal = Principal(Role.PLATFORM, "p3", f"key:{client['prefix']}", "P3")
    gw = platform.gateway
    good, _ = issue_token(principal, "client", JWT_SECRET, "srdi-gateway", 60)
    assert (await gw.get(WHOAMI, headers=bearer(good))).status_code == 200
    past = datetime.now(UTC).timestamp() - 120
    expired, _ = issue_token(principal, "client", JWT_SECRET, "srdi-gateway", 60, now=past)
    assert (await gw.get(WHOAMI, headers=bearer(expired))).status_code == 401
    header, payload, signature = good.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert (await gw.get(WHOAMI, headers=bearer(f"{header}.{payload}.{flipped}"))).status_code == 401
    admin_claim = Principal(Role.ADMIN, None, f"key:{client['prefix']}", "P3")
    foreign, _ = issue_token(admin_claim, "client", "some-other-secret-0123456789abcdefgh", "srdi-gateway", 60)
    assert (await gw.get(WHOAMI, headers=bearer(foreign))).status_code == 401


async def test_users_log_in_with_argon2_hashed_passwords(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    created = await admin.post("/api/v1/gateway/users", json={
        "username": "km-operator", "password": "kunming-passphrase", "role": "prefecture_operator",
        "tenant": "5301", "name": "昆明市工信局"})  # fmt: skip
    assert created.status_code == 201, created.text
    assert "password" not in created.text
    assert (await admin.post("/api/v1/gateway/users", json={
        "username": "no-tenant", "password": "long-enough-pw", "role": "enterprise", "name": "x"})).status_code == 422
    gw = platform.gateway
    login = await gw.post("/api/v1/gateway/login", json={"username": "km-operator", "password": "kunming-passphrase"})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    assert login.json()["tenant"] == "5301"
    me = (await gw.get(WHOAMI, headers=bearer(token))).json()
    assert me["role"] == "prefecture_operator" and me["subject"] == "user:km-operator"
    wrong = await gw.post("/api/v1/gateway/login", json={"username": "km-operator", "password": "kunming-passphrasf"})
    assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/problem+json"
    unknown = await gw.post("/api/v1/gateway/login", json={"username": "nobody", "password": "whatever-pw"})
    assert unknown.status_code == 401 and unknown.json()["code"] == wrong.json()["code"]
    await admin.delete("/api/v1/gateway/users/km-operator")
    assert (await gw.get(WHOAMI, headers=bearer(token))).status_code == 401  # disabled: its token stops
    again = {"username": "km-operator", "password": "kunming-passphrase"}
    assert (await gw.post("/api/v1/gateway/login", json=again)).status_code == 401
    runtime = platform.platform.runtimes["gateway"]
    async with runtime.uow() as uow:
        from sqlmodel import select

        from services.gateway.persistence.tables import GatewayUser

        stored = (await uow.session.exec(select(GatewayUser))).one()
    assert stored.password_hash.startswith("$argon2id$") and "kunming" not in stored.password_hash


async def test_identity_headers_from_outside_are_not_trusted(platform: RunningPlatform) -> None:
    enterprise = await platform.client(Role.ENTERPRISE, "91530102000000001X")
    forged = httpx.Headers({"X-SRDI-Identity": "forged.token"})
    response = await enterprise.get("/api/v1/eligibility/pyramid", headers=forged)
    assert response.status_code == 403


async def test_embedded_demo_identities_include_operator_log_ins(platform: RunningPlatform, tmp_path: Path) -> None:
    from services.gateway.demo_keys import ensure_demo_keys

    identities = await ensure_demo_keys(platform.platform.runtimes["gateway"], None, path=tmp_path / "demo.json")
    kunming = next(i for i in identities if i["tenant"] == "5301")
    credentials = {"username": kunming["username"], "password": kunming["password"]}
    login = await platform.gateway.post("/api/v1/gateway/login", json=credentials)
    assert login.status_code == 200 and login.json()["role"] == "prefecture_operator"
    assert not any("username" in i for i in identities if i["role"] in ("bank", "platform", "officer"))
    assert (tmp_path / "demo.json").stat().st_mode & 0o077 == 0
