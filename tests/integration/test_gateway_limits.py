"""Rate limits at the gateway (the `limits` library): per address for anonymous calls and the
public evaluate endpoint, per credential, and failed authentications — a brute force of bad keys
is refused with 429 + Retry-After before any key is looked up, across replicas through Redis."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from shared.identity import Role
from tests.support.platform import running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")
WHOAMI = "/api/v1/gateway/whoami"


def bad_key() -> dict[str, str]:
    return {"Authorization": f"Bearer srdi_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"}


async def test_a_brute_force_of_bad_keys_is_slowed_to_429_while_good_keys_still_work(tmp_path: Path) -> None:
    async with running_platform(tmp_path, gateway_rate_limit_auth_failures="5/minute") as platform:
        gw = platform.gateway
        statuses = [(await gw.get(WHOAMI, headers=bad_key())).status_code for _ in range(8)]
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429] * 3
        refused = await gw.get(WHOAMI, headers=bad_key())
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate-limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # once limited, even a correct key from that address waits: guessing gains nothing
        key = await platform.key(Role.ADMIN)
        assert (await gw.get(WHOAMI, headers={"Authorization": f"Bearer {key}"})).status_code == 429


async def test_failed_log_ins_are_limited_per_user_name(tmp_path: Path) -> None:
    async with running_platform(tmp_path, gateway_rate_limit_login_failures="3/minute") as platform:
        admin = await platform.client(Role.ADMIN)
        await admin.post("/api/v1/gateway/users", json={"username": "bank-staff", "password": "right-password-1",
                                                        "role": "bank", "tenant": "bank-a", "name": "B"})  # fmt: skip
        gw = platform.gateway
        wrong = {"username": "bank-staff", "password": "wrong-password"}
        statuses = [(await gw.post("/api/v1/gateway/login", json=wrong)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        right = {"username": "bank-staff", "password": "right-password-1"}
        assert (await gw.post("/api/v1/gateway/login", json=right)).status_code == 429  # locked for the window
        other = await gw.post("/api/v1/gateway/login", json={"username": "someone-else", "password": "x-password"})
        assert other.status_code == 401  # another name is not locked by this one


async def test_the_public_evaluate_endpoint_is_limited_per_address(tmp_path: Path) -> None:
    async with running_platform(tmp_path, gateway_rate_limit_evaluate="3/minute") as platform:
        gw = platform.gateway
        statuses = [(await gw.post("/api/v1/eligibility/evaluate", json={})).status_code for _ in range(4)]
        assert statuses[:3] == [422] * 3  # reached the service (and was judged there)
        assert statuses[3] == 429


async def test_each_credential_has_its_own_budget(tmp_path: Path) -> None:
    async with running_platform(tmp_path, gateway_rate_limit_per_key="4/minute") as platform:
        first = await platform.client(Role.PLATFORM, "p1")
        second = await platform.client(Role.PLATFORM, "p2")
        statuses = [(await first.get(WHOAMI)).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        assert (await second.get(WHOAMI)).status_code == 200


async def test_replicas_share_the_counts_through_redis(tmp_path: Path, redis_url: str) -> None:
    shared = {"gateway_redis_url": redis_url, "gateway_rate_limit_namespace": f"t{secrets.token_hex(4)}",
              "gateway_rate_limit_auth_failures": "6/minute"}  # fmt: skip
    async with running_platform(tmp_path / "a", **shared) as one, running_platform(tmp_path / "b", **shared) as two:
        assert await one.platform.app.state.rate_limits.healthy()
        for replica in (one, two, one, two, one, two):
            assert (await replica.gateway.get(WHOAMI, headers=bad_key())).status_code == 401
        # six failures spread over two replicas fill the one shared window
        assert (await one.gateway.get(WHOAMI, headers=bad_key())).status_code == 429
        assert (await two.gateway.get(WHOAMI, headers=bad_key())).status_code == 429
