"""Authorisation, generated from the merged route table: every route of the merged OpenAPI ×
every role (and no credential) × an object of the caller's own tenant vs another tenant's.

Each answer is checked against rules that hold for every route, so a route added tomorrow is
covered without editing this file:
- nothing answers 5xx;
- without a credential only the public operations answer anything but 401;
- administrative routes (dead letters, keys, users, audit) refuse every role but admin;
- a tenant-bound caller (enterprise, prefecture operator) never reads or writes another tenant's
  object (no 2xx), and no 2xx answer to such a caller contains another tenant's credit code;
- banks and officers get no 2xx from the generic register/eligibility reads of an enterprise;
- platforms are read-only: no 2xx on a write (the integration batch query aside);
- the caller's own enterprise is readable by the roles entitled to it (2xx).
The number of cases is printed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.identity import Role
from tests.integration.test_eligibility_api import register_assessed
from tests.support.builders import KUNMING_WUHUA
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")
PUBLIC = {("POST", "/api/v1/eligibility/evaluate"), ("POST", "/api/v1/gateway/login"),
          ("POST", "/api/v1/gateway/oauth/token")}  # fmt: skip
ADMIN_ONLY = re.compile(r"/admin/|^/api/v1/gateway/(api-keys|users|audit)")
READ_ONLY_EXCEPTIONS = {("POST", "/api/v1/integration/enterprises/batch")}
TENANT_BOUND = {Role.ENTERPRISE, Role.PREFECTURE_OPERATOR}
ENTERPRISE_READERS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR, Role.ENTERPRISE, Role.PLATFORM}


@dataclass
class World:
    own_uscc: str  # Kunming (5301): the enterprise role's own, the prefecture operator's own
    other_uscc: str  # Honghe (5325)
    own_bank: str  # seed bank of 5301
    other_bank: str  # seed bank of 5325
    clients: dict[str, httpx.AsyncClient]


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, gateway_rate_limit_per_key="100000/minute",
                                gateway_rate_limit_per_address="100000/minute") as running:  # fmt: skip
        yield running


async def world_of(platform: RunningPlatform) -> World:
    own = await register_assessed(platform, 3101, county=KUNMING_WUHUA)
    other = await register_assessed(platform, 3102)
    banks = {}
    for prefecture in ("5301", "5325"):
        operator = await platform.client(Role.PREFECTURE_OPERATOR, prefecture)
        built = await operator.post("/api/v1/eligibility/seed-banks", json={"year": 2026, "tier": "innovative_sme"})
        assert built.status_code == 201, built.text
        banks[prefecture] = built.json()["id"]
    tenants: dict[Role, str | None] = {
        Role.ADMIN: None, Role.PROVINCIAL_OPERATOR: "53", Role.PREFECTURE_OPERATOR: "5301", Role.OFFICER: "officer-1",
        Role.ENTERPRISE: own, Role.BANK: "bank-1", Role.PLATFORM: "platform-1",
    }  # fmt: skip
    clients = {role.value: await platform.client(role, tenant) for role, tenant in tenants.items()}
    clients["anonymous"] = platform.gateway
    return World(own, other, banks["5301"], banks["5325"], clients)


def fill(path: str, world: World, variant: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "uscc":
            return world.own_uscc if variant == "own" else world.other_uscc
        if name == "bank_id" and path.startswith("/api/v1/eligibility/seed-banks"):
            return world.own_bank if variant == "own" else world.other_bank
        return {"year": "2025", "rule_set_id": "innovative_sme-2022", "prefix": "00000000",
                "username": "nobody"}.get(name, "unknown-id")  # fmt: skip

    return re.sub(r"\{([^}]+)\}", value, path)


def tenant_bound_path(path: str) -> bool:
    return "{uscc}" in path or ("{bank_id}" in path and path.startswith("/api/v1/eligibility/seed-banks"))


async def test_every_route_every_role_own_and_other_tenant(platform: RunningPlatform, capsys: Any) -> None:
    world = await world_of(platform)
    document = (await world.clients["admin"].get("/openapi.json")).json()
    routes = [(method.upper(), path) for path, operations in document["paths"].items() for method in operations
              if method in ("get", "post", "put", "patch", "delete")]  # fmt: skip
    assert len(routes) > 30, "the merged route table lists every service's routes"
    failures: list[str] = []
    cases = 0
    for method, template in routes:
        variants = ("own", "other") if tenant_bound_path(template) else ("n/a",)
        for variant in variants:
            url = fill(template, world, variant)
            for who, client in world.clients.items():
                role = None if who == "anonymous" else Role(who)
                body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
                response = await client.request(method, url, json=body, headers={"If-Match": '"0"'})
                cases += 1
                status = response.status_code
                ok = 200 <= status < 300
                where = f"{method} {url} as {who} ({variant}) → {status}"
                if status >= 500:
                    failures.append(f"5xx: {where}: {response.text[:200]}")
                if role is None:
                    if (method, template) not in PUBLIC and status != 401:
                        failures.append(f"open without a credential: {where}")
                    continue
                if ADMIN_ONLY.search(template) and role is not Role.ADMIN and status not in (401, 403):
                    failures.append(f"admin route open to a lesser role: {where}")
                if role in TENANT_BOUND and variant == "other" and ok:
                    failures.append(f"another tenant's object reached: {where}")
                if role in TENANT_BOUND and ok and world.other_uscc in response.text:
                    failures.append(f"another tenant's enterprise in the answer: {where}")
                generic_enterprise_route = template.startswith(("/api/v1/registry/", "/api/v1/eligibility/enterprises"))
                if role in (Role.BANK, Role.OFFICER) and "{uscc}" in template and generic_enterprise_route and ok:
                    failures.append(f"bank/officer read a register record: {where}")
                if role is Role.PLATFORM and method != "GET" and ok and (method, template) not in (
                    PUBLIC | READ_ONLY_EXCEPTIONS
                ):
                    failures.append(f"platform wrote: {where}")
                if (method == "GET" and variant == "own" and role in ENTERPRISE_READERS and generic_enterprise_route
                        and "{uscc}" in template and not ok):  # fmt: skip
                    failures.append(f"own enterprise not readable: {where}: {response.text[:160]}")
    with capsys.disabled():
        print(f"\nauthorisation matrix: {len(routes)} routes × {len(world.clients)} callers × own/other "
              f"= {cases} cases, {len(failures)} failures")  # fmt: skip
    assert not failures, "\n".join(failures[:40])
