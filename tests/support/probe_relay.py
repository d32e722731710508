"""``python -m tests.support.probe_relay <tag>``: the probe producer's outbox relay as its own
process, so a test can SIGKILL it between publishing and marking (settings from SRDI_* env)."""

from __future__ import annotations

import asyncio
import sys

from services.platform import make_bus
from shared.config import ServiceSettings
from shared.service import ServiceRuntime
from tests.support.probe import make_probe_pair


async def main(tag: str) -> None:
    settings = ServiceSettings()
    bus = make_bus(settings)
    runtime = ServiceRuntime(make_probe_pair(tag).producer, settings, bus, run_relay=True, run_consumers=False)
    await bus.start()
    await runtime.start()
    print("relay ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
