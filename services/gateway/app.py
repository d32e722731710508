"""Gateway: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.gateway.api.routes import auth, dashboard, docs, integration, keys, proxy, users
from services.gateway.assets import STATIC_DIR, SWAGGER_UI_DIR
from services.gateway.auth_cache import AuthCache, LocalGeneration, RedisGeneration
from services.gateway.config import GatewaySettings
from services.gateway.demo_keys import ensure_demo_keys
from services.gateway.edge import GatewayEdge
from services.gateway.handlers import EVENT_HANDLERS
from services.gateway.persistence.api_keys import Authenticated
from services.gateway.persistence.tables import messaging, metadata
from services.gateway.ratelimits import RateLimits
from services.gateway.upstreams import UpstreamPolicy, Upstreams
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
    routers=[keys.router, auth.router, users.router, integration.router, dashboard.api],
    consumes=("eligibility",),
    event_handlers=EVENT_HANDLERS,
    settings_cls=GatewaySettings,
    app_factory=app_factory,
    entry=True,
    on_platform_started=on_platform_started,
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


def auth_cache_for(runtime: ServiceRuntime[GatewaySettings]) -> AuthCache[Authenticated]:
    """In Redis when replicas share one (the distributed mode), else in this process; Redis is then
    part of /readyz: without it every request falls back to the database and limits to memory."""
    settings = runtime.settings
    generation: RedisGeneration | LocalGeneration
    if settings.gateway_redis_url:
        generation = RedisGeneration(settings.gateway_redis_url, settings.gateway_rate_limit_namespace)
        runtime.ready_checks["redis"] = generation.healthy
    else:
        generation = LocalGeneration()
    cache: AuthCache[Authenticated] = AuthCache(
        generation, settings.gateway_auth_cache_ttl_seconds, settings.gateway_auth_cache_max_entries
    )
    runtime.on_stop(cache.aclose)
    return cache


def create_app(runtime: ServiceRuntime[GatewaySettings], upstreams: Upstreams, *, manage_lifecycle: bool) -> FastAPI:
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings), "the gateway runtime carries GatewaySettings"
    settings.check_distributed()
    app = create_service_app(runtime, manage_lifecycle=manage_lifecycle)
    upstreams.configure(policy_from(settings))
    app.state.upstreams = upstreams
    app.state.rate_limits = RateLimits(settings)
    app.state.auth_cache = auth_cache_for(runtime)
    app.include_router(docs.router)
    app.include_router(dashboard.router)
    app.mount("/docs/static", StaticFiles(directory=SWAGGER_UI_DIR, check_dir=False), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    app.include_router(proxy.router)  # last: it catches every /api/v1/<service>/… path
    app.add_middleware(
        GatewayEdge, max_body_bytes=settings.gateway_max_body_bytes, max_upload_bytes=settings.gateway_max_upload_bytes
    )
    return app
