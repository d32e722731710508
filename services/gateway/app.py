"""Gateway: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.gateway.api.routes import auth, dashboard, docs, integration, keys, proxy, users
from services.gateway.assets import STATIC_DIR, SWAGGER_UI_DIR
from services.gateway.config import GatewaySettings
from services.gateway.edge import GatewayEdge
from services.gateway.handlers import EVENT_HANDLERS
from services.gateway.persistence.tables import messaging, metadata
from services.gateway.ratelimits import RateLimits
from services.gateway.upstreams import UpstreamPolicy, Upstreams
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app

DEFINITION = ServiceDefinition(
    name="gateway",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[keys.router, auth.router, users.router, integration.router, dashboard.api],
    consumes=("eligibility",),
    event_handlers=EVENT_HANDLERS,
    settings_cls=GatewaySettings,
    description="One-stop entry: authentication, authorisation, merged OpenAPI / 统一入口",
)


def policy_from(settings: GatewaySettings) -> UpstreamPolicy:
    return UpstreamPolicy(
        timeout_seconds=settings.upstream_timeout_seconds,
        connect_timeout_seconds=settings.gateway_upstream_connect_timeout_seconds,
        retries=settings.gateway_upstream_retries,
        retry_backoff_seconds=settings.gateway_upstream_retry_backoff_seconds,
        breaker_failures=settings.gateway_breaker_failures,
        breaker_reset_seconds=settings.gateway_breaker_reset_seconds,
    )


def create_app(runtime: ServiceRuntime, upstreams: Upstreams, *, manage_lifecycle: bool) -> FastAPI:
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings), "the gateway runtime carries GatewaySettings"
    settings.check_distributed()
    app = create_service_app(runtime, manage_lifecycle=manage_lifecycle)
    upstreams.configure(policy_from(settings))
    app.state.upstreams = upstreams
    app.state.rate_limits = RateLimits(settings)
    app.include_router(docs.router)
    app.include_router(dashboard.router)
    app.mount("/docs/static", StaticFiles(directory=SWAGGER_UI_DIR, check_dir=False), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    app.include_router(proxy.router)  # last: it catches every /api/v1/<service>/… path
    app.add_middleware(
        GatewayEdge, max_body_bytes=settings.gateway_max_body_bytes, max_upload_bytes=settings.gateway_max_upload_bytes
    )
    return app
