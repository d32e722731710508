"""A relay process is ready only while its relay task runs (``/readyz`` names ``relay``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.config import ServiceSettings
from shared.events.inprocess import InProcessBus
from shared.service import ServiceRuntime
from tests.support.probe import make_probe_pair


@pytest.mark.asyncio
async def test_readiness_names_the_relay_task_and_turns_false_when_it_ends(tmp_path: Path) -> None:
    definition = make_probe_pair().producer
    settings = ServiceSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", log_json=False)
    runtime = ServiceRuntime(definition, settings, InProcessBus(), run_relay=True, run_consumers=False)
    try:
        assert (await runtime.ready())["relay"] is False, "not started: no relay running"
        await runtime.start()
        assert await runtime.ready() == {"database": True, "bus": True, "relay": True}
        runtime.relay.request_stop()
        await asyncio.wait_for(asyncio.gather(*runtime._tasks), timeout=10)
        assert (await runtime.ready())["relay"] is False
    finally:
        await runtime.stop()

    consumers_only = ServiceRuntime(definition, settings, InProcessBus(), run_relay=False)
    try:
        assert "relay" not in await consumers_only.ready(), "a service process without relay reports none"
    finally:
        await consumers_only.stop()
