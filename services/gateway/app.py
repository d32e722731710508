"""Gateway: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.gateway.api.routes import docs, keys, proxy
from services.gateway.config import GatewaySettings
from services.gateway.handlers import EVENT_HANDLERS
from services.gateway.persistence.tables import messaging, metadata
from services.gateway.upstreams import Upstreams
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app

DEFINITION = ServiceDefinition(
    name="gateway",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[keys.router],
    event_handlers=EVENT_HANDLERS,
    settings_cls=GatewaySettings,
    description="One-stop entry: authentication, authorisation, merged OpenAPI / 统一入口",
)


def create_app(runtime: ServiceRuntime, upstreams: Upstreams, *, manage_lifecycle: bool) -> FastAPI:
    app = create_service_app(runtime, manage_lifecycle=manage_lifecycle)
    app.state.upstreams = upstreams
    app.include_router(docs.router)
    app.include_router(proxy.router)  # last: it catches every /api/v1/<service>/… path
    return app
