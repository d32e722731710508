"""Settings shared by every service (pydantic-settings, env prefix ``SRDI_``).

Each service subclasses :class:`ServiceSettings` and adds its own fields; a field
``import_batch_size`` on the registry's class is read from ``SRDI_REGISTRY_IMPORT_BATCH_SIZE``
because the service name is part of the field name. Settings are built on demand
(``get_settings``), never at import, so tests and the embedded runner can choose the environment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("registry", "eligibility", "finance_match", "notifications")
# Public route prefix of each service behind the gateway (/api/v1/<prefix>/…).
ROUTE_PREFIXES = {
    "registry": "registry",
    "eligibility": "eligibility",
    "finance_match": "finance",
    "notifications": "notifications",
}
DEV_SIGNING_KEY = "embedded-dev-only-signing-key-not-for-production"


class Mode(StrEnum):
    EMBEDDED = "embedded"
    DISTRIBUTED = "distributed"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SRDI_", extra="ignore", env_ignore_empty=True)

    mode: Mode = Mode.EMBEDDED
    # A base URL; each service derives its own database from it (see shared.db.service_database_url).
    database_url: str = f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'srdi.db'}"
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_partitions: int = 4
    kafka_replication: int = 1
    # Topics the platform creates: min.insync.replicas (None: the broker's default). With acks=all (always)
    # and replication 3, 2 means an accepted event is on two brokers and one broker may be down.
    kafka_min_insync_replicas: int | None = None
    # Consumer group liveness: a member silent this long is evicted and its partitions move (aiokafka's
    # defaults; the fault suite shortens them to see a paused consumer replaced within seconds).
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_namespace: str = ""  # prefix for topic and group names (shared clusters, test isolation)
    internal_signing_key: str = ""
    identity_ttl_seconds: int = 300
    relay_poll_seconds: float = 0.2
    relay_batch_size: int = 1000  # outbox rows per relay pass (one claim, one publish, one UPDATE)
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.5
    consumer_backoff_max_seconds: float = 10.0
    log_level: str = "INFO"
    log_json: bool = True
    # Test-only fault injection: the relay hangs after publishing and before marking rows, so a test
    # can SIGKILL it in exactly that window. Never set in production.
    fault_relay_hang_after_publish: bool = False
    # /metrics: who may scrape it (shared.http_security). Default: loopback only.
    metrics_allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    metrics_key: str = ""
    # TLS is terminated in front of the service (ingress, nginx): send HSTS.
    tls_terminated: bool = False
    # Background jobs (imports, re-assessments): a running job refreshes its heartbeat this often; a
    # queued or running job whose heartbeat is older than the stale limit is an orphan (see shared.jobs).
    job_heartbeat_seconds: float = 5.0
    job_stale_seconds: float = 60.0

    @model_validator(mode="after")
    def _refuse_missing_secrets(self) -> ServiceSettings:
        if self.mode is Mode.DISTRIBUTED:
            if not self.internal_signing_key or self.internal_signing_key == DEV_SIGNING_KEY:
                raise ValueError(
                    "SRDI_INTERNAL_SIGNING_KEY must be set to a secret of your own in distributed mode "
                    "(分布式模式必须配置内部签名密钥)"
                )
            if len(self.internal_signing_key) < 32:
                raise ValueError("SRDI_INTERNAL_SIGNING_KEY must be at least 32 characters")
        elif not self.internal_signing_key:
            self.internal_signing_key = DEV_SIGNING_KEY
        return self


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def get_settings(cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings from the environment (plus explicit overrides, which win)."""
    return cls(**overrides)
