"""The gateway's credential cache across replicas: two gateway app instances on one PostgreSQL
database and the shared Redis (a namespace of each test's own). A revocation on one replica is
refused by the other on its very next request; with Redis gone nothing revoked gets through (the
database decides), and /readyz names ``redis`` while it does not answer."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.gateway.app import DEFINITION, create_app
from services.gateway.auth_cache import AuthCache
from services.gateway.config import GatewaySettings
from services.gateway.persistence.api_keys import Authenticated, create_key
from services.gateway.upstreams import Upstreams
from shared.config import Mode
from shared.events.inprocess import InProcessBus
from shared.identity import Role
from shared.service import ServiceRuntime
from tests.conftest import TEST_SIGNING_KEY
from tests.support.tcp_proxy import TcpProxy, tcp_proxy
from tests.support.waiting import eventually

WHOAMI = "/api/v1/gateway/whoami"
KEYS = "/api/v1/gateway/api-keys"


@dataclass
class Replica:
    runtime: ServiceRuntime[GatewaySettings]
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def cache(self) -> AuthCache[Authenticated]:
        return self.app.state.auth_cache  # type: ignore[no-any-return]

    async def whoami(self, key: str) -> int:
        return (await self.client.get(WHOAMI, headers={"Authorization": f"Bearer {key}"})).status_code


@asynccontextmanager
async def replica(settings: GatewaySettings) -> AsyncIterator[Replica]:
    bus = InProcessBus()
    runtime = ServiceRuntime(DEFINITION, settings, bus, run_relay=False, run_consumers=False)
    app = create_app(runtime, Upstreams.over_http({}, 5.0), manage_lifecycle=False)
    await bus.start()
    await runtime.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    try:
        yield Replica(runtime, app, client)
    finally:
        await client.aclose()
        await runtime.stop()
        await bus.stop()


@asynccontextmanager
async def two_replicas(postgres_url: str, redis_url: str) -> AsyncIterator[tuple[Replica, Replica]]:
    """Gateways A and B: one database, one Redis namespace, as two processes behind a balancer."""
    tag = secrets.token_hex(4)
    base = make_url(postgres_url).set(database=f"srdi_keycache_{tag}")
    settings = GatewaySettings(
        mode=Mode.DISTRIBUTED, database_url=base.render_as_string(hide_password=False),
        internal_signing_key=TEST_SIGNING_KEY, gateway_jwt_secret=secrets.token_urlsafe(32),
        gateway_redis_url=redis_url, gateway_rate_limit_namespace=f"keycache-{tag}", demo_keys=False,
    )  # fmt: skip
    try:
        async with AsyncExitStack() as stack:
            a = await stack.enter_async_context(replica(settings))
            b = await stack.enter_async_context(replica(settings))
            yield a, b
    finally:
        engine = create_async_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}_gateway" WITH (FORCE)'))
        await engine.dispose()


async def admin_client(gateway: Replica) -> httpx.AsyncClient:
    async with gateway.runtime.uow() as uow:
        _, key = await create_key(uow, Role.ADMIN, None, "admin")
    gateway.client.headers["Authorization"] = f"Bearer {key.plaintext}"
    return gateway.client


async def issue(admin: httpx.AsyncClient, **body: object) -> dict[str, str]:
    response = await admin.post(KEYS, json={"role": "platform", "tenant": "p1", "name": "P1"} | body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@asynccontextmanager
async def behind_a_cuttable_redis(
    postgres_url: str, redis_url: str
) -> AsyncIterator[tuple[TcpProxy, Replica, Replica]]:
    """Two replicas whose Redis is reached through a forwarder the test can cut (an outage)."""
    target = make_url(redis_url)
    async with tcp_proxy(target.host or "127.0.0.1", target.port or 6379) as proxy:
        through = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with two_replicas(postgres_url, through) as (a, b):
            yield proxy, a, b


async def test_a_key_revoked_on_one_replica_is_refused_by_the_other_on_its_next_request(
    postgres_url: str, redis_url: str
) -> None:
    async with two_replicas(postgres_url, redis_url) as (a, b):
        admin = await admin_client(a)
        key = await issue(admin)
        assert await b.whoami(key["key"]) == 200
        hits = b.cache.hits
        assert await b.whoami(key["key"]) == 200
        assert b.cache.hits == hits + 1, "B answered the second request from its cache"
        assert (await admin.delete(f"{KEYS}/{key['prefix']}")).status_code == 200  # on A
        assert await b.whoami(key["key"]) == 401  # the very next request on B
        assert await a.whoami(key["key"]) == 401
        # other keys keep working (and are cached again under the new generation)
        other = await issue(admin)
        assert [await b.whoami(other["key"]) for _ in range(2)] == [200, 200]


async def test_a_rotation_without_overlap_and_a_disabled_user_stop_on_the_other_replica_at_once(
    postgres_url: str, redis_url: str
) -> None:
    async with two_replicas(postgres_url, redis_url) as (a, b):
        admin = await admin_client(a)
        old = await issue(admin)
        assert await b.whoami(old["key"]) == 200
        rotated = await admin.post(f"{KEYS}/{old['prefix']}/rotate", json={"overlap_seconds": 0})
        assert rotated.status_code == 201
        assert await b.whoami(old["key"]) == 401
        assert await b.whoami(rotated.json()["key"]) == 200
        # a user's log-in token, cached on B, stops when A disables the user
        user = {"username": "bank-staff", "password": "right-password-1", "role": "bank", "tenant": "bank-a",
                "name": "B"}  # fmt: skip
        assert (await admin.post("/api/v1/gateway/users", json=user)).status_code == 201
        login = await b.client.post("/api/v1/gateway/login", json={"username": "bank-staff",
                                                                    "password": "right-password-1"})  # fmt: skip
        token = login.json()["access_token"]
        assert [await b.whoami(token) for _ in range(2)] == [200, 200]
        assert (await admin.delete("/api/v1/gateway/users/bank-staff")).status_code == 200
        assert await b.whoami(token) == 401


async def test_with_redis_down_a_revoked_key_is_refused_and_good_keys_work_from_the_database(
    postgres_url: str, redis_url: str
) -> None:
    async with behind_a_cuttable_redis(postgres_url, redis_url) as (proxy, a, b):
        admin = await admin_client(a)
        doomed, kept = await issue(admin), await issue(admin)
        for key in (doomed, kept):
            assert [await b.whoami(key["key"]) for _ in range(2)] == [200, 200]  # both cached on B
        await proxy.cut()
        # A cannot publish the revocation; the database has it
        assert (await admin.delete(f"{KEYS}/{doomed['prefix']}")).status_code == 200
        assert a.cache.bump_pending
        assert await b.whoami(doomed["key"]) == 401  # fail closed: B asks the database
        assert await b.whoami(kept["key"]) == 200  # and the database still says yes to a good key
        assert len(b.cache) == 0, "nothing validated before the outage is kept"
        await proxy.restore()
        assert await b.whoami(doomed["key"]) == 401
        await eventually(lambda: _pending(a), lambda pending: not pending, what="A's delayed revocation")
        assert [await b.whoami(kept["key"]) for _ in range(2)] == [200, 200]
        assert await b.whoami(doomed["key"]) == 401


async def test_a_revocation_made_while_redis_was_down_reaches_a_replica_that_never_saw_the_outage(
    postgres_url: str, redis_url: str
) -> None:
    async with behind_a_cuttable_redis(postgres_url, redis_url) as (proxy, a, b):
        admin = await admin_client(a)
        doomed = await issue(admin)
        assert [await b.whoami(doomed["key"]) for _ in range(2)] == [200, 200]
        await proxy.cut()
        assert (await admin.delete(f"{KEYS}/{doomed['prefix']}")).status_code == 200
        await proxy.restore()  # B made no request meanwhile: its entry is still there
        await eventually(lambda: _pending(a), lambda pending: not pending, what="A's delayed revocation")
        assert await b.whoami(doomed["key"]) == 401


async def test_readyz_names_redis_while_it_does_not_answer(postgres_url: str, redis_url: str) -> None:
    async with behind_a_cuttable_redis(postgres_url, redis_url) as (proxy, a, _):
        ready = await a.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] is True
        await proxy.cut()
        down = await a.client.get("/readyz")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["detail"] == "redis"
        await proxy.restore()
        again = await a.client.get("/readyz")
        assert again.status_code == 200 and again.json()["checks"]["redis"] is True


async def _pending(replica: Replica) -> bool:
    return replica.cache.bump_pending
