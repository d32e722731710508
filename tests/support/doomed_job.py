"""A registry process that claims an import job and then hangs in it, printing "claimed" — for a
test to SIGKILL it mid-job, leaving the row exactly as a dead replica leaves it.

    python -m tests.support.doomed_job <database_url> <job_id>
"""

from __future__ import annotations

import asyncio
import sys

from services.registry.app import DEFINITION
from services.registry.config import RegistrySettings
from services.registry.persistence.tables import ImportJob
from shared import jobs
from shared.events.inprocess import InProcessBus
from shared.service import ServiceRuntime


async def main(database_url: str, job_id: str) -> None:
    settings = RegistrySettings(database_url=database_url, registry_demo_count=0)
    runtime = ServiceRuntime(DEFINITION, settings, InProcessBus(), run_relay=False)
    await runtime.migrate()

    async def hang() -> None:
        print("claimed", flush=True)
        await asyncio.Event().wait()

    await jobs.run_claimed(runtime.engine, ImportJob, job_id, hang(), heartbeat_seconds=0.1)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
