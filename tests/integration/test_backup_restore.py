"""A service database backed up with pg_dump and restored with pg_restore (``shared/backup.py``, the
``srdi backup`` / ``srdi restore`` commands) holds the same rows — data, outbox, migration version — and
a write after the backup is gone again after restoring it (the restore replaces, never merges)."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.registry.app import DEFINITION as REGISTRY
from shared.backup import backup, restore
from shared.config import Mode
from shared.db import ensure_database_exists
from shared.events.inprocess import InProcessBus
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import TEST_SIGNING_KEY
from tests.support.builders import enterprise, financials

pytestmark = pytest.mark.asyncio(loop_scope="session")
TABLES = ("enterprise", "financial_report", "outbox", "alembic_version")


async def contents(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = set(
                (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))).scalars()
            )
            return {
                t: sorted(tuple(map(str, r)) for r in (await conn.execute(text(f'SELECT * FROM "{t}"'))).all())
                for t in TABLES if t in names
            }  # fmt: skip
    finally:
        await engine.dispose()


async def test_a_restored_registry_database_equals_its_backup(postgres_url: str, tmp_path: Path) -> None:
    base = make_url(postgres_url).set(database=f"srdi_b{secrets.token_hex(4)}").render_as_string(hide_password=False)
    settings = REGISTRY.settings_cls(mode=Mode.EMBEDDED, database_url=base, internal_signing_key=TEST_SIGNING_KEY,
                                     registry_demo_count=0)  # fmt: skip
    runtime = ServiceRuntime(REGISTRY, settings, InProcessBus(), run_relay=False)
    await runtime.start()
    token = sign_identity(Principal(Role.ADMIN, None, "test"), TEST_SIGNING_KEY)
    app = create_service_app(runtime, manage_lifecycle=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry",
                                     headers={IDENTITY_HEADER: token}) as admin:  # fmt: skip
            for serial in (6101, 6102):
                body = enterprise(serial)
                assert (await admin.post("/api/v1/registry/enterprises", json=body)).status_code == 201
                put = await admin.put(f"/api/v1/registry/enterprises/{body['uscc']}/financials/2025", json=financials())
                assert put.status_code == 201
            before = await contents(runtime.database_url)
            assert len(before["enterprise"]) == 2 and len(before["outbox"]) == 4
            assert len(before["alembic_version"]) == 1

            dump = tmp_path / "registry.dump"
            backup(runtime.database_url, dump)
            assert dump.stat().st_size > 0
            after_backup = enterprise(6103)
            assert (await admin.post("/api/v1/registry/enterprises", json=after_backup)).status_code == 201
            assert await contents(runtime.database_url) != before
    finally:
        await runtime.stop()
        await runtime.engine.dispose()

    restore(dump, runtime.database_url)  # in place: the write after the backup is gone
    assert await contents(runtime.database_url) == before
    fresh = make_url(runtime.database_url).set(database=f"{make_url(runtime.database_url).database}_copy")
    fresh_url = fresh.render_as_string(hide_password=False)
    await ensure_database_exists(fresh_url)
    restore(dump, fresh_url)  # into an empty database: the same rows
    assert await contents(fresh_url) == before
