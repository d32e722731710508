"""Registry: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.registry.api.routes import enterprises, imports
from services.registry.config import RegistrySettings
from services.registry.demo_loader import load_demo_on_first_start
from services.registry.handlers import EVENT_HANDLERS
from services.registry.jobs import expiry_loop
from services.registry.persistence.tables import messaging, metadata
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app


async def on_start(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    await load_demo_on_first_start(runtime)
    runtime.spawn(expiry_loop(runtime, settings.registry_expiry_check_seconds), "recognition-expiry")


DEFINITION = ServiceDefinition(
    name="registry",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[imports.router, enterprises.router],
    consumes=["notifications"],
    event_handlers=EVENT_HANDLERS,
    settings_cls=RegistrySettings,
    on_start=on_start,
    description="The enterprise register: credit codes, regions, industries, financials, recognitions / 企业库",
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
