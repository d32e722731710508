"""What every service is made of, and the defaults every service gets.

A service declares a :class:`ServiceDefinition` (its tables, migrations, routes, the events it
consumes and its handlers). :class:`ServiceRuntime` wires it to a database and a bus — the one place
where the embedded and distributed modes differ is which bus and which database URL it is given.
:func:`create_service_app` builds the FastAPI app with the same defaults everywhere: problem+json
errors, request/trace ids in logs, ``/healthz``, ``/readyz``, ``/metrics``, dead-letter admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import db, http_security, jobs, migrations
from shared.api import AdminDep
from shared.config import ROUTE_PREFIXES, ServiceSettings
from shared.errors import DomainError
from shared.events.bus import EventBus
from shared.events.consumer import EventConsumer, EventHandler, RetryPolicy
from shared.events.envelope import dead_letter_topic, topic_for_source
from shared.events.relay import OutboxRelay
from shared.events.replay import RebuildReport
from shared.events.tables import MessagingTables
from shared.logs import bind_trace
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.problems import Problem, install_problem_handlers, problem_response
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class LoopHealth:
    """How a periodic background loop is doing: /readyz reports it as ``loop:<label>``."""

    label: str
    iterations: int = 0
    consecutive_failures: int = 0
    last_error: str | None = None

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
Handlers = Mapping[str, Sequence[EventHandler]]


@dataclass(frozen=True)
class Peers:
    """What a process knows of the other services it hosts: nothing in distributed mode (one service a
    process), their apps and runtimes in embedded mode (so the entry service can reach them in-process)."""

    apps: Mapping[str, FastAPI] = field(default_factory=dict)
    runtimes: Mapping[str, ServiceRuntime[Any]] = field(default_factory=dict)


@dataclass(kw_only=True)
class ServiceDefinition(Generic[SettingsT]):
    """Everything the platform needs to know to host a service — the one composition root of it."""

    name: str
    metadata: MetaData
    tables: MessagingTables
    # None only for throw-away services in tests: their tables are created from the metadata.
    migrations_dir: Path | None
    settings_cls: type[SettingsT]
    routers: Sequence[APIRouter] = ()
    # Producing services whose topics this one consumes, and its handlers by event type — or a
    # function of the started runtime giving them (handlers that need what `on_start` built).
    consumes: Sequence[str] = ()
    event_handlers: Handlers | Callable[[ServiceRuntime[SettingsT]], Handlers] = field(default_factory=dict)
    # Extra start-up work (demo data, background jobs); runs after migrations.
    on_start: Callable[[ServiceRuntime[SettingsT]], Awaitable[None]] | None = None
    # The ASGI app; default: routes, consumers' admin and the service defaults (`create_service_app`).
    app_factory: Callable[[ServiceRuntime[SettingsT], Peers, bool], FastAPI] | None = None
    # The service users reach first (the gateway): in embedded mode its app is the platform's app.
    entry: bool = False
    # Embedded mode: work once every hosted service has started (demo keys for the entry service).
    on_platform_started: Callable[[ServiceRuntime[SettingsT], Peers], Awaitable[None]] | None = None
    description: str = ""
    # `srdi rebuild-projection <name>`: the service's projections rebuilt from the event history
    # (see shared/events/replay.py); None when the service keeps none.
    rebuild_projection: Callable[[Any, UnitOfWork], Awaitable[RebuildReport]] | None = None

    @property
    def route_prefix(self) -> str:
        return f"/api/v1/{ROUTE_PREFIXES.get(self.name, self.name)}"


class ServiceRuntime(Generic[SettingsT]):
    """A service wired to its database and the bus. ``start`` migrates, subscribes and starts the
    relay (each optional, so ``srdi serve`` and ``srdi relay`` can run as separate processes)."""

    def __init__(
        self,
        definition: ServiceDefinition[SettingsT],
        settings: SettingsT,
        bus: EventBus,
        *,
        run_relay: bool = True,
        run_consumers: bool = True,
        run_on_start: bool = True,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.bus = bus
        self.database_url = db.service_database_url(settings.database_url, definition.name)
        self.engine: AsyncEngine = db.create_engine(self.database_url)
        self.sessions: async_sessionmaker[AsyncSession] = db.session_factory(self.engine)
        self.relay = OutboxRelay(
            definition.name,
            self.engine,
            definition.tables,
            bus,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            hang_after_publish=settings.fault_relay_hang_after_publish,
        )
        self.consumer = EventConsumer(
            definition.name,
            [topic_for_source(source) for source in definition.consumes],
            {},  # set in `start`: handlers may need what `on_start` built
            self.uow,
            bus,
            RetryPolicy(
                settings.consumer_max_attempts, settings.consumer_backoff_seconds, settings.consumer_backoff_max_seconds
            ),
        )
        self._run_relay = run_relay
        self._run_consumers = run_consumers and bool(definition.consumes)
        # False for a relay-only process: the service's own start-up work (demo data, background
        # loops, job recovery) belongs to its `srdi serve` processes, not to its relays.
        self._run_on_start = run_on_start
        self._tasks: list[asyncio.Task[None]] = []
        self.loops: dict[str, LoopHealth] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self.state: dict[str, Any] = {}
        # Further dependencies /readyz checks, by name (the gateway's Redis …): each answers True when well.
        self.ready_checks: dict[str, Callable[[], Awaitable[bool]]] = {}

    @property
    def name(self) -> str:
        return self.definition.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions, self.definition.tables, self.name, on_commit=self.relay.wake, settings=self.settings
        )

    async def migrate(self) -> None:
        await db.ensure_database_exists(self.database_url)
        d = self.definition
        if d.migrations_dir is None:
            async with self.engine.begin() as conn:
                await conn.run_sync(d.metadata.create_all)
            return
        await migrations.upgrade(self.engine, d.migrations_dir, d.metadata, d.name)

    async def start(self) -> None:
        await self.migrate()
        topics = [topic_for_source(self.name), *self.consumer.topics]
        if self._run_consumers:
            topics.append(dead_letter_topic(self.name))
        await self.bus.ensure_topics(topics)
        if self._run_consumers:
            self.bus.subscribe(self.consumer)
        if self.definition.on_start is not None and self._run_on_start:
            await self.definition.on_start(self)
        if self._run_on_start:  # handlers may need what `on_start` built; a relay applies no events
            handlers = self.definition.event_handlers
            by_type = handlers(self) if callable(handlers) else handlers
            self.consumer.handlers = {event_type: list(fns) for event_type, fns in by_type.items()}
        if self._run_relay:
            self.spawn(self.relay.run_forever(), "relay")

    def spawn(self, coro: Awaitable[None], label: str) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s of %s crashed", label, self.name)

        task = asyncio.create_task(guarded(), name=f"{self.name}:{label}")
        self._tasks.append(task)
        return task

    def run_job(self, model: Any, job_id: str, work: Coroutine[Any, Any, None]) -> None:
        """Run a job in the background once this process has claimed its row (see ``shared.jobs``)."""

        async def claimed() -> None:
            if not await jobs.run_claimed(self.engine, model, job_id, work, self.settings.job_heartbeat_seconds):
                log.warning("job %s was already claimed by another process", job_id)

        self.spawn(claimed(), f"job-{job_id}")

    async def recover_jobs(self, model: Any, resume: Callable[[Any], Coroutine[Any, Any, None]] | None) -> list[str]:
        """Orphaned jobs of ``model`` (their process died): resumed with ``resume(row)``, or failed."""
        return await jobs.recover_orphans(self.engine, model, self.settings.job_stale_seconds, resume, self.spawn,
                                          self.settings.job_heartbeat_seconds)  # fmt: skip

    def run_every(self, label: str, iteration: Callable[[], Awaitable[object]], every_seconds: float) -> LoopHealth:
        """Run ``iteration`` every ``every_seconds`` for as long as the service runs. An iteration that
        raises is logged and counted (``/readyz`` then names the loop) and the loop goes on."""
        health = self.loops[label] = LoopHealth(label)

        async def loop() -> None:
            while True:
                try:
                    await iteration()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    health.consecutive_failures += 1
                    health.last_error = f"{type(error).__name__}: {error}"[:300]
                    log.exception("background loop %s of %s failed (%d in a row)", label, self.name,
                                  health.consecutive_failures)  # fmt: skip
                else:
                    health.consecutive_failures, health.last_error = 0, None
                health.iterations += 1
                await asyncio.sleep(every_seconds)

        self.spawn(loop(), label)
        return health

    async def stop_background(self, grace_seconds: float = 10.0) -> None:
        """Let the relay finish its batch, then cancel whatever background work remains."""
        self.relay.request_stop()
        if self._tasks:
            relay_tasks = [t for t in self._tasks if t.get_name().endswith(":relay")]
            if relay_tasks:
                await asyncio.wait(relay_tasks, timeout=grace_seconds)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def on_stop(self, close: Callable[[], Awaitable[None]]) -> None:
        """Something the app opened (HTTP clients …) to close when the runtime stops."""
        self._closers.append(close)

    async def stop(self) -> None:
        await self.stop_background()
        for close in reversed(self._closers):
            await close()
        self._closers.clear()
        await self.engine.dispose()

    @property
    def relay_running(self) -> bool:
        """The relay's background task is alive (it retries failed passes itself; a task that ended
        means the relay stopped for good)."""
        return any(t.get_name().endswith(":relay") and not t.done() for t in self._tasks)

    async def ready(self) -> dict[str, bool]:
        checks = {"database": True, "bus": await self.bus.healthy()}
        if self._run_relay:
            checks["relay"] = self.relay_running
        try:
            await asyncio.wait_for(db.ping(self.engine), timeout=3)
        except Exception:
            checks["database"] = False
        for name, check in self.ready_checks.items():
            try:
                checks[name] = bool(await asyncio.wait_for(check(), timeout=3))
            except Exception:
                checks[name] = False
        checks |= {f"loop:{label}": health.healthy for label, health in self.loops.items()}
        return checks


def operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


class RequestContextMiddleware:
    """Request id and W3C trace context for logs and events; Prometheus counters per route.

    Plain ASGI (not Starlette's ``BaseHTTPMiddleware``, which runs the app in a task of its own and
    streams every answer through a memory channel — a quarter of a proxied request's cost)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id") or secrets.token_hex(8)
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            with bind_trace(headers.get("traceparent"), request_id):
                await self.app(scope, receive, send_with_id)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)


def add_service_defaults(app: FastAPI, service: str, ready: Callable[[], Awaitable[dict[str, bool]]]) -> None:
    install_problem_handlers(app)
    http_security.install(app)  # input limits, security headers, /metrics restricted

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        problem = Problem(error.status, error.code, error.title, error.title_zh, error.detail, error.detail_zh)
        return problem_response(problem, request)

    app.add_middleware(RequestContextMiddleware, service=service)

    @app.get("/healthz", tags=["ops"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["ops"], include_in_schema=False)
    async def readyz() -> dict[str, Any]:
        checks = await ready()
        if not all(checks.values()):
            raise Problem(
                503,
                "not-ready",
                "Service not ready",
                "服务尚未就绪",
                detail=", ".join(k for k, ok in checks.items() if not ok),
            )
        return {"status": "ready", "service": service, "checks": checks}

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def dead_letter_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=f"{prefix}/admin/dead-letters", tags=["dead-letters"])

    @router.get("", summary="List dead letters / 死信列表")
    async def list_dead_letters(request: Request, _: AdminDep, include_replayed: bool = False) -> list[dict[str, Any]]:
        runtime: ServiceRuntime = request.app.state.runtime
        return await runtime.consumer.list_dead_letters(include_replayed)

    @router.post("/replay", summary="Replay dead letters / 重放死信")
    async def replay_dead_letters(request: Request, _: AdminDep, ids: list[int] | None = None) -> dict[int, str]:
        runtime: ServiceRuntime = request.app.state.runtime
        return await runtime.consumer.replay_dead_letters(ids)

    return router


def create_relay_app(runtime: ServiceRuntime[Any]) -> FastAPI:
    """``srdi relay <name> --port``: the relay as a process with probes — ``/healthz`` (the process
    answers), ``/readyz`` (database, bus and the relay task: what Kubernetes restarts or waits for)
    and ``/metrics`` (events published) — and no API routes."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.bus.start()
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()  # the relay finishes its batch before the producer stops
            await runtime.bus.stop()

    app = FastAPI(title=f"SRDI {runtime.name} relay", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)  # fmt: skip
    app.state.runtime = runtime
    add_service_defaults(app, f"{runtime.name}-relay", runtime.ready)
    return app


def build_app(runtime: ServiceRuntime[Any], peers: Peers, *, manage_lifecycle: bool) -> FastAPI:
    """The service's app, from its definition's factory (or the default)."""
    factory = runtime.definition.app_factory
    if factory is None:
        return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
    return factory(runtime, peers, manage_lifecycle)


def create_service_app(runtime: ServiceRuntime[Any], *, manage_lifecycle: bool) -> FastAPI:
    """The service's ASGI app. With ``manage_lifecycle`` its lifespan starts and stops the runtime
    (distributed ``srdi serve``); the embedded runner starts every runtime itself."""
    definition = runtime.definition

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await runtime.bus.start()
            await runtime.start()
            await runtime.bus.start_consumers()
        try:
            yield
        finally:
            if manage_lifecycle:
                await runtime.stop()  # the relay first, so it never publishes to a stopped producer
                await runtime.bus.stop()

    app = FastAPI(
        title=f"SRDI {definition.name}",
        description=definition.description,
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        openapi_url=f"{definition.route_prefix}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    add_service_defaults(app, definition.name, runtime.ready)
    for router in definition.routers:
        app.include_router(router)
    if definition.consumes:
        app.include_router(dead_letter_router(definition.route_prefix))
    return app
