"""finance_match: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.finance_match.api.routes import banks, feed, needs, pairings, stats
from services.finance_match.config import FinanceMatchSettings
from services.finance_match.handlers import EVENT_HANDLERS
from services.finance_match.persistence.tables import messaging, metadata
from services.finance_match.usecases.demo import seed_demo_on_start
from services.finance_match.usecases.jobs import start_deadline_loop, webhook_worker
from services.finance_match.usecases.rebuild import rebuild_projection
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app


async def on_start(runtime: ServiceRuntime[FinanceMatchSettings]) -> None:
    settings = runtime.settings
    worker = webhook_worker(runtime)
    runtime.state["webhook_worker"] = worker
    runtime.spawn(worker.run_forever(), "webhooks")
    start_deadline_loop(runtime, settings.finance_match_deadline_check_seconds)
    await seed_demo_on_start(runtime)


DEFINITION = ServiceDefinition(
    name="finance_match",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[banks.router, needs.router, feed.router, pairings.router, stats.router],
    consumes=["registry", "eligibility"],
    event_handlers=EVENT_HANDLERS,
    settings_cls=FinanceMatchSettings,
    on_start=on_start,
    description="Banks, products, financing needs, ranked matching, paired banks, the bank feed / 金融对接",
    rebuild_projection=rebuild_projection,
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
