"""Background work of the registry: announcing recognitions that expired."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

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


async def expiry_loop(runtime: ServiceRuntime, every_seconds: float) -> None:
    while True:
        await announce_expired_recognitions(runtime)
        await asyncio.sleep(every_seconds)
