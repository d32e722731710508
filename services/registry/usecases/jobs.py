"""Background work of the registry: announcing recognitions that expired; recovering orphaned imports."""

from __future__ import annotations

import logging
from datetime import date

from services.registry.persistence.tables import ImportJob
from services.registry.usecases import commands
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)


async def announce_expired_recognitions(runtime: ServiceRuntime, today: date | None = None) -> int:
    async with runtime.uow() as uow:
        count = await commands.expire_recognitions(uow, today or date.today())
        await uow.commit()
    if count:
        log.info("announced %d expired recognitions", count)
    return count


def start_expiry_loop(runtime: ServiceRuntime, every_seconds: float) -> None:
    """Every ``every_seconds``; an iteration's error is logged, reported in /readyz, and the loop goes on."""
    runtime.run_every("recognition-expiry", lambda: announce_expired_recognitions(runtime), every_seconds)


async def start_job_recovery(runtime: ServiceRuntime) -> None:
    """An import whose process died is marked failed (its upload may be gone: the caller re-uploads);
    checked at start-up and then as often as a job goes stale."""
    await runtime.recover_jobs(ImportJob, resume=None)
    runtime.run_every(
        "import-recovery", lambda: runtime.recover_jobs(ImportJob, resume=None), runtime.settings.job_stale_seconds
    )
