"""Fixtures shared by every layer.

Infrastructure comes from ``tests/infra.py``: ``SRDI_KAFKA_BOOTSTRAP`` / ``SRDI_DATABASE_URL`` when
set, testcontainers when a Docker engine answers, the ``deploy/local`` scripts otherwise — and a
clear failure, never a silent skip, when none works.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from shared.config import Mode, ServiceSettings
from shared.events.bus import EventBus
from shared.events.inprocess import InProcessBus
from shared.events.kafka import KafkaBus
from shared.service import ServiceDefinition, ServiceRuntime

TEST_SIGNING_KEY = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    from tests.infra import kafka_bootstrap as find_or_start_kafka

    return find_or_start_kafka()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    from tests.infra import postgres_url as find_or_start_postgres

    return find_or_start_postgres()


@pytest.fixture(scope="session")
def redis_url() -> str:
    from tests.infra import redis_url as find_or_start_redis

    return find_or_start_redis()


@dataclass
class Backend:
    """One way to run services: the embedded pair (SQLite + in-process bus) or the distributed
    pair (PostgreSQL + Kafka). Messaging tests run against both."""

    name: str
    database_url: str
    kafka_bootstrap: str | None
    shared_bus: EventBus | None
    # Each test gets its own topic and group names on the shared broker.
    kafka_namespace: str = field(default_factory=lambda: f"t{secrets.token_hex(4)}")
    kafka_replication: int = 1

    @property
    def is_kafka(self) -> bool:
        return self.kafka_bootstrap is not None

    def settings(self, **overrides: Any) -> ServiceSettings:
        values: dict[str, Any] = {
            "mode": Mode.DISTRIBUTED if self.is_kafka else Mode.EMBEDDED,
            "database_url": self.database_url,
            "kafka_bootstrap": self.kafka_bootstrap or "unused:0",
            "internal_signing_key": TEST_SIGNING_KEY,
            "consumer_backoff_seconds": 0.05,
            "consumer_backoff_max_seconds": 0.2,
            "consumer_max_attempts": 3,
            "relay_poll_seconds": 0.05,
            "kafka_namespace": self.kafka_namespace,
            "kafka_replication": self.kafka_replication,
        }
        return ServiceSettings(**(values | overrides))

    def new_bus(self) -> EventBus:
        if self.shared_bus is not None:
            return self.shared_bus  # one process, one in-process bus
        assert self.kafka_bootstrap is not None
        return KafkaBus(self.kafka_bootstrap, 4, self.kafka_replication, namespace=self.kafka_namespace)


@pytest.fixture(params=["embedded", "kafka"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "embedded":
        return Backend("embedded", f"sqlite+aiosqlite:///{tmp_path / 'srdi.db'}", None, InProcessBus())
    return kafka_backend(request.getfixturevalue("kafka_bootstrap"), request.getfixturevalue("postgres_url"))


def kafka_backend(bootstrap: str, postgres_url: str) -> Backend:
    """Kafka + PostgreSQL, with databases and topics of this test's own (fresh names)."""
    namespace = f"t{secrets.token_hex(4)}"
    database = make_url(postgres_url).set(database=f"srdi_{namespace}").render_as_string(hide_password=False)
    return Backend("kafka", database, bootstrap, None, namespace)


@pytest.fixture
async def start_runtime(backend: Backend) -> AsyncIterator[Callable[..., Any]]:
    """Start service runtimes on the backend (like separate processes on Kafka); stop them after."""
    started: list[tuple[ServiceRuntime, EventBus]] = []

    async def start(definition: ServiceDefinition, **options: Any) -> ServiceRuntime:
        settings_overrides = options.pop("settings", {})
        settings = definition.settings_cls(**backend.settings(**settings_overrides).model_dump() | settings_overrides)
        bus = backend.new_bus()
        runtime = ServiceRuntime(definition, settings, bus, **options)
        await bus.start()
        await runtime.start()
        await bus.start_consumers()
        started.append((runtime, bus))
        return runtime

    yield start
    for runtime, bus in reversed(started):
        await runtime.stop()  # the relay first, so it never publishes to a stopped producer
        await bus.stop()
