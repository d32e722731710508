"""notifications: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notifications.config import NotificationsSettings
from services.notifications.handlers import EVENT_HANDLERS
from services.notifications.persistence.tables import messaging, metadata
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app

DEFINITION = ServiceDefinition(
    name="notifications",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[],
    event_handlers=EVENT_HANDLERS,
    settings_cls=NotificationsSettings,
    description="Officers, inbox, email, webhooks, service requests / 助企服务与通知",
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
