"""The embedded default: the whole platform in one process (``srdi run`` / ``make run``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from services.gateway.demo_keys import ensure_demo_keys
from services.gateway.upstreams import Upstreams
from services.platform import ALL_SERVICES, definition_of, service_module, settings_for
from shared.config import SERVICES, Mode
from shared.events.inprocess import InProcessBus
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)


class EmbeddedPlatform:
    def __init__(self, **overrides: Any) -> None:
        overrides.setdefault("mode", Mode.EMBEDDED)
        self.bus = InProcessBus()
        self.runtimes = {
            name: ServiceRuntime(definition_of(name), settings_for(name, **overrides), self.bus)
            for name in ALL_SERVICES
        }
        self.service_apps = {
            name: service_module(name).create_app(self.runtimes[name], manage_lifecycle=False) for name in SERVICES
        }
        gateway_runtime = self.runtimes["gateway"]
        self.upstreams = Upstreams.in_process(self.service_apps, gateway_runtime.settings.upstream_timeout_seconds)  # type: ignore[attr-defined]
        self.app: FastAPI = service_module("gateway").create_app(
            gateway_runtime, self.upstreams, manage_lifecycle=False
        )
        self.app.router.lifespan_context = self.lifespan
        self.demo_keys: list[dict[str, str | None]] = []

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        await self.bus.start()
        for runtime in self.runtimes.values():
            await runtime.start()
        await self.bus.start_consumers()
        enterprise = self.runtimes["registry"].state.get("demo_enterprise_uscc")
        if self.runtimes["gateway"].settings.demo_keys:  # type: ignore[attr-defined]
            self.demo_keys = await ensure_demo_keys(self.runtimes["gateway"], enterprise)

    async def stop(self) -> None:
        await self.upstreams.aclose()
        # Every relay stops before any database closes: a relay may be delivering into another service.
        for runtime in self.runtimes.values():
            await runtime.stop_background()
        for runtime in self.runtimes.values():
            await runtime.stop()
        await self.bus.stop()
