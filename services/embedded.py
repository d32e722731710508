"""The embedded default: the whole platform in one process (``srdi run`` / ``make run``).

Every service of `services.platform` is hosted the same way: its runtime on the one in-process bus,
its app from its definition's factory, given the apps built before it (`Peers`). The entry service's
app (the gateway: `ServiceDefinition.entry`) is the platform's app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from services.platform import ALL_SERVICES, definition_of, runtime_for
from shared.config import Mode
from shared.events.inprocess import InProcessBus
from shared.service import Peers, build_app

log = logging.getLogger(__name__)


class EmbeddedPlatform:
    def __init__(self, **overrides: Any) -> None:
        overrides.setdefault("mode", Mode.EMBEDDED)
        self.bus = InProcessBus()
        self.runtimes = {name: runtime_for(name, self.bus, **overrides) for name in ALL_SERVICES}
        entries = [name for name in ALL_SERVICES if definition_of(name).entry]
        if len(entries) != 1:
            raise RuntimeError(f"exactly one entry service expected, found {entries}")
        self.entry = entries[0]
        # Services first, the entry last: it is given the others' apps to reach them in-process.
        self.service_apps: dict[str, FastAPI] = {}
        for name in [n for n in ALL_SERVICES if n != self.entry]:
            self.service_apps[name] = build_app(self.runtimes[name], Peers(), manage_lifecycle=False)
        self.peers = Peers(apps=dict(self.service_apps), runtimes=dict(self.runtimes))
        self.app: FastAPI = build_app(self.runtimes[self.entry], self.peers, manage_lifecycle=False)
        self.app.router.lifespan_context = self.lifespan

    @property
    def demo_keys(self) -> list[dict[str, str | None]]:
        keys: list[dict[str, str | None]] = self.runtimes[self.entry].state.get("demo_keys", [])
        return keys

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
        for runtime in self.runtimes.values():
            if runtime.definition.on_platform_started is not None:
                await runtime.definition.on_platform_started(runtime, self.peers)

    async def stop(self) -> None:
        # Every relay stops before any database closes: a relay may be delivering into another service.
        for runtime in self.runtimes.values():
            await runtime.stop_background()
        for runtime in self.runtimes.values():
            await runtime.stop()
        await self.bus.stop()
