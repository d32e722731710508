"""eligibility: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.eligibility.config import EligibilitySettings
from services.eligibility.handlers import EVENT_HANDLERS
from services.eligibility.persistence.tables import messaging, metadata
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app

DEFINITION = ServiceDefinition(
    name="eligibility",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[],
    event_handlers=EVENT_HANDLERS,
    settings_cls=EligibilitySettings,
    description="eligibility",
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
