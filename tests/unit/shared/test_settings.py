from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import DEV_SIGNING_KEY, Mode, ServiceSettings
from shared.db import service_database_url


def test_distributed_mode_refuses_to_start_without_a_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRDI_INTERNAL_SIGNING_KEY", raising=False)
    with pytest.raises(ValidationError, match="SRDI_INTERNAL_SIGNING_KEY"):
        ServiceSettings(mode=Mode.DISTRIBUTED)
    with pytest.raises(ValidationError, match="SRDI_INTERNAL_SIGNING_KEY"):
        ServiceSettings(mode=Mode.DISTRIBUTED, internal_signing_key=DEV_SIGNING_KEY)
    with pytest.raises(ValidationError, match="at least 32"):
        ServiceSettings(mode=Mode.DISTRIBUTED, internal_signing_key="short")


def test_embedded_mode_uses_a_development_key() -> None:
    assert ServiceSettings(mode=Mode.EMBEDDED).internal_signing_key == DEV_SIGNING_KEY


def test_settings_come_from_srdi_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRDI_KAFKA_BOOTSTRAP", "127.0.0.1:29092")
    monkeypatch.setenv("SRDI_CONSUMER_MAX_ATTEMPTS", "7")
    settings = ServiceSettings()
    assert (settings.kafka_bootstrap, settings.consumer_max_attempts) == ("127.0.0.1:29092", 7)


def test_each_service_derives_its_own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRDI_REGISTRY_DATABASE_URL", raising=False)
    pg = "postgresql+asyncpg://srdi:pw@127.0.0.1:15432/srdi"
    assert service_database_url(pg, "registry") == "postgresql+asyncpg://srdi:pw@127.0.0.1:15432/srdi_registry"
    assert service_database_url("sqlite+aiosqlite:////tmp/x/srdi.db", "eligibility") == (
        "sqlite+aiosqlite:////tmp/x/srdi_eligibility.db"
    )
    monkeypatch.setenv("SRDI_REGISTRY_DATABASE_URL", "sqlite+aiosqlite:////elsewhere.db")
    assert service_database_url(pg, "registry") == "sqlite+aiosqlite:////elsewhere.db"
