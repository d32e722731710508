"""finance_match: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.finance_match.config import FinanceMatchSettings
from services.finance_match.handlers import EVENT_HANDLERS
from services.finance_match.persistence.tables import messaging, metadata
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app

DEFINITION = ServiceDefinition(
    name="finance_match",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[],
    event_handlers=EVENT_HANDLERS,
    settings_cls=FinanceMatchSettings,
    description="Banks, products, financing needs and matching / 金融对接",
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
