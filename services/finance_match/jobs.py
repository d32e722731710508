"""Background work finance_match hosts: the webhook worker and the deadline check (overdue shares,
expired needs), each a loop spawned on the runtime."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.finance_match import needs
from services.finance_match.config import FinanceMatchSettings
from services.finance_match.persistence.tables import webhooks
from shared.service import ServiceRuntime
from shared.webhooks import WebhookWorker

log = logging.getLogger(__name__)


def webhook_worker(runtime: ServiceRuntime) -> WebhookWorker:
    settings = runtime.settings
    assert isinstance(settings, FinanceMatchSettings)
    return WebhookWorker(
        runtime.engine,
        webhooks,
        schedule=settings.finance_match_webhook_schedule,
        poll_seconds=settings.finance_match_webhook_poll_seconds,
        timeout_seconds=settings.finance_match_webhook_timeout_seconds,
        user_agent="SRDI-Finance-Webhooks/1.0",
        service=runtime.name,
    )


async def check_deadlines_once(runtime: ServiceRuntime) -> tuple[int, int]:
    async with runtime.uow() as uow:
        result = await needs.check_deadlines(uow, datetime.now(UTC).date())
        await uow.commit()
    return result


async def deadline_loop(runtime: ServiceRuntime, every_seconds: float) -> None:
    while True:
        try:
            overdue, expired = await check_deadlines_once(runtime)
            if overdue or expired:
                log.info("finance deadlines: %d overdue, %d expired", overdue, expired)
        except Exception:
            log.exception("finance deadline check failed")
        await asyncio.sleep(every_seconds)
