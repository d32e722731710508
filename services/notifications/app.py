"""notifications: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notifications.api.routes import coverage, exchange, inbox, officers, subscriptions
from services.notifications.channels import default_channels
from services.notifications.config import NotificationsSettings
from services.notifications.delivery import delivery_loop
from services.notifications.demo import load_demo_on_first_start
from services.notifications.domain.rules import default_rules
from services.notifications.handlers import EVENT_HANDLERS
from services.notifications.persistence.tables import messaging, metadata, webhooks
from services.notifications.scheduler import digest_loop, schedule_loop
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app
from shared.webhooks import WebhookWorker


async def on_start(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    default_rules()  # load (and so validate) the rules and templates now: a bad file stops the start
    await load_demo_on_first_start(runtime)
    worker = WebhookWorker(
        runtime.engine,
        webhooks,
        schedule=settings.notifications_webhook_schedule,
        poll_seconds=settings.notifications_delivery_poll_seconds,
    )
    runtime.state["webhook_worker"] = worker
    runtime.state["channels"] = channels = default_channels(settings, runtime.uow, worker.wake)
    if not settings.notifications_background:
        return
    runtime.spawn(worker.run_forever(), "webhooks")
    runtime.spawn(delivery_loop(runtime.uow, channels, settings), "delivery")
    runtime.spawn(schedule_loop(runtime.uow, settings), "schedule")
    runtime.spawn(digest_loop(runtime.uow, settings), "digests")


DEFINITION = ServiceDefinition(
    name="notifications",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[inbox.router, officers.router, exchange.router, coverage.router, subscriptions.router],
    consumes=["registry", "eligibility", "finance_match"],
    event_handlers=EVENT_HANDLERS,
    settings_cls=NotificationsSettings,
    on_start=on_start,
    description="Officers, inbox, email, webhooks, service requests / 助企服务与通知",
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
