"""The map of the platform: which services exist and how one process hosts them.

- ``embedded``: every service in one process on the in-process bus, SQLite under ``var/``,
  the gateway reaching each service through ``httpx.ASGITransport``.
- ``distributed``: one service per process (``srdi serve``), relays apart (``srdi relay``),
  PostgreSQL and Kafka.
Both build the same :class:`~shared.service.ServiceRuntime`; only the bus and the URLs differ.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from shared.config import SERVICES, Mode, ServiceSettings, get_settings
from shared.events.bus import EventBus
from shared.events.inprocess import InProcessBus
from shared.events.kafka import KafkaBus
from shared.service import Peers, ServiceDefinition, ServiceRuntime, build_app, create_relay_app

log = logging.getLogger(__name__)
ALL_SERVICES = (*SERVICES, "gateway")


def service_module(name: str) -> Any:
    if name not in ALL_SERVICES:
        raise ValueError(f"unknown service {name!r}; one of {', '.join(ALL_SERVICES)}")
    return importlib.import_module(f"services.{name}.app")


def definition_of(name: str) -> ServiceDefinition[Any]:
    definition = service_module(name).DEFINITION
    if not isinstance(definition, ServiceDefinition):
        raise TypeError(f"services.{name}.app.DEFINITION is not a ServiceDefinition")
    return definition


def settings_for(name: str, **overrides: Any) -> ServiceSettings:
    return get_settings(definition_of(name).settings_cls, **overrides)


def runtime_for(name: str, bus: EventBus, **overrides: Any) -> ServiceRuntime[Any]:
    """A service's runtime with its own settings class, from the environment plus ``overrides``."""
    definition = definition_of(name)
    return ServiceRuntime(definition, get_settings(definition.settings_cls, **overrides), bus)


def make_bus(settings: ServiceSettings) -> EventBus:
    if settings.mode is Mode.EMBEDDED:
        return InProcessBus()
    return KafkaBus(
        settings.kafka_bootstrap,
        settings.kafka_partitions,
        settings.kafka_replication,
        settings.kafka_namespace,
        min_insync_replicas=settings.kafka_min_insync_replicas,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
    )


def create_distributed_app(name: str) -> FastAPI:
    """``srdi serve <name>``: one service, its consumers in-process, its relay in another process."""
    settings = settings_for(name)
    runtime = ServiceRuntime(definition_of(name), settings, make_bus(settings), run_relay=False)
    return build_app(runtime, Peers(), manage_lifecycle=True)


def relay_runtime(name: str) -> ServiceRuntime[Any]:
    settings = settings_for(name)
    return ServiceRuntime(definition_of(name), settings, make_bus(settings), run_relay=True, run_consumers=False,
                          run_on_start=False)  # fmt: skip


def create_relay_app_for(name: str) -> FastAPI:
    """``srdi relay <name> --port N``: the relay with /healthz, /readyz and /metrics."""
    return create_relay_app(relay_runtime(name))


@contextlib.asynccontextmanager
async def relay_only(name: str) -> AsyncIterator[ServiceRuntime]:
    """``srdi relay <name>``: publish the service's outbox, nothing else."""
    runtime = relay_runtime(name)
    bus = runtime.bus
    await bus.start()
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        await bus.stop()
