"""Background work finance_match hosts: the webhook worker and the deadline check (overdue shares,
expired needs), each a loop spawned on the runtime."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.finance_match.config import FinanceMatchSettings
from services.finance_match.persistence.tables import webhooks
from services.finance_match.usecases import needs
from shared.service import ServiceRuntime
from shared.webhooks import WebhookWorker

log = logging.getLogger(__name__)


def webhook_worker(runtime: ServiceRuntime[FinanceMatchSettings]) -> WebhookWorker:
    settings = runtime.settings
    return WebhookWorker(
        runtime.engine,
        webhooks,
        schedule=settings.finance_match_webhook_schedule,
        poll_seconds=settings.finance_match_webhook_poll_seconds,
        timeout_seconds=settings.finance_match_webhook_timeout_seconds,
        user_agent="SRDI-Finance-Webhooks/1.0",
        service=runtime.name,
        allow_private=settings.webhook_allows_private_urls,
    )


async def check_deadlines_once(runtime: ServiceRuntime) -> tuple[int, int]:
    async with runtime.uow() as uow:
        result = await needs.check_deadlines(uow, datetime.now(UTC).date())
        await uow.commit()
    return result


async def _check_deadlines(runtime: ServiceRuntime) -> None:
    overdue, expired = await check_deadlines_once(runtime)
    if overdue or expired:
        log.info("finance deadlines: %d overdue, %d expired", overdue, expired)


def start_deadline_loop(runtime: ServiceRuntime, every_seconds: float) -> None:
    """Every ``every_seconds``; a failed check is logged and reported in /readyz (``loop:deadlines``)."""
    runtime.run_every("deadlines", lambda: _check_deadlines(runtime), every_seconds)
