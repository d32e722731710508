"""The embedded platform under test: every service in-process, SQLite in a temp dir, reached
through the gateway over httpx's ASGI transport, with an API key per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.embedded import EmbeddedPlatform
from services.gateway.persistence.api_keys import create_key
from shared.identity import Role


@dataclass
class RunningPlatform:
    platform: EmbeddedPlatform
    gateway: httpx.AsyncClient

    async def key(self, role: Role, tenant: str | None = None) -> str:
        async with self.platform.runtimes["gateway"].uow() as uow:
            _, new_key = await create_key(uow, role, tenant, f"test {role}")
        return new_key.plaintext

    async def client(self, role: Role, tenant: str | None = None) -> httpx.AsyncClient:
        key = await self.key(role, tenant)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.platform.app), base_url="http://gateway",
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip


@asynccontextmanager
async def running_platform(tmp_path: Path, **overrides: Any) -> AsyncIterator[RunningPlatform]:
    settings = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'srdi.db'}", "registry_demo_count": 0,
                "demo_keys": False, "relay_poll_seconds": 0.05, "notifications_demo": False} | overrides  # fmt: skip
    platform = EmbeddedPlatform(**settings)
    await platform.start()
    gateway = httpx.AsyncClient(transport=httpx.ASGITransport(app=platform.app), base_url="http://gateway")
    try:
        yield RunningPlatform(platform, gateway)
    finally:
        await gateway.aclose()
        await platform.stop()
