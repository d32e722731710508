"""Gateway: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.gateway.api.routes import docs, keys, proxy
from services.gateway.config import GatewaySettings
from services.gateway.demo_keys import ensure_demo_keys
from services.gateway.handlers import EVENT_HANDLERS
from services.gateway.persistence.tables import messaging, metadata
from services.gateway.upstreams import Upstreams
from shared.service import Peers, ServiceDefinition, ServiceRuntime, create_service_app

DEMO_KEYS = "demo_keys"  # runtime state: the demo API keys printed at an embedded start


def upstreams_for(runtime: ServiceRuntime[GatewaySettings], peers: Peers) -> Upstreams:
    """In-process apps when the platform hosts the services in this process, else their URLs."""
    settings = runtime.settings
    if peers.apps:
        return Upstreams.in_process(dict(peers.apps), settings.upstream_timeout_seconds)
    return Upstreams.over_http(settings.service_urls, settings.upstream_timeout_seconds)


def app_factory(runtime: ServiceRuntime[GatewaySettings], peers: Peers, manage_lifecycle: bool) -> FastAPI:
    upstreams = upstreams_for(runtime, peers)
    runtime.on_stop(upstreams.aclose)
    return create_app(runtime, upstreams, manage_lifecycle=manage_lifecycle)


async def on_platform_started(runtime: ServiceRuntime[GatewaySettings], peers: Peers) -> None:
    if runtime.settings.demo_keys:
        registry = peers.runtimes.get("registry")
        enterprise = registry.state.get("demo_enterprise_uscc") if registry is not None else None
        runtime.state[DEMO_KEYS] = await ensure_demo_keys(runtime, enterprise)


DEFINITION = ServiceDefinition(
    name="gateway",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[keys.router],
    event_handlers=EVENT_HANDLERS,
    settings_cls=GatewaySettings,
    app_factory=app_factory,
    entry=True,
    on_platform_started=on_platform_started,
    description="One-stop entry: authentication, authorisation, merged OpenAPI / 统一入口",
)


def create_app(runtime: ServiceRuntime[GatewaySettings], upstreams: Upstreams, *, manage_lifecycle: bool) -> FastAPI:
    app = create_service_app(runtime, manage_lifecycle=manage_lifecycle)
    app.state.upstreams = upstreams
    app.include_router(docs.router)
    app.include_router(proxy.router)  # last: it catches every /api/v1/<service>/… path
    return app
