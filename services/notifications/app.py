"""notifications: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notifications.api.routes import coverage, exchange, inbox, officers, subscriptions
from services.notifications.channels import default_channels
from services.notifications.config import NotificationsSettings
from services.notifications.delivery import deliver_due
from services.notifications.demo import load_demo_on_first_start
from services.notifications.domain.rules import default_rules
from services.notifications.handlers import EVENT_HANDLERS
from services.notifications.persistence.tables import messaging, metadata, webhooks
from services.notifications.rebuild import rebuild_projection
from services.notifications.scheduler import flush_due_digests, run_scheduled_notices
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
        allow_private=settings.webhook_allows_private_urls,
        service=runtime.name,
    )
    runtime.state["webhook_worker"] = worker
    runtime.state["channels"] = channels = default_channels(settings, runtime.uow, worker.wake)
    if not settings.notifications_background:
        return
    runtime.spawn(worker.run_forever(), "webhooks")
    # Loops survive a failing round and report it in /readyz (shared.service.ServiceRuntime.run_every).
    runtime.run_every("delivery", lambda: deliver_due(runtime.uow, channels, settings),
                      settings.notifications_delivery_poll_seconds)  # fmt: skip
    runtime.run_every("schedule", lambda: run_scheduled_notices(runtime.uow, settings),
                      settings.notifications_schedule_seconds)  # fmt: skip
    runtime.run_every("digests", lambda: flush_due_digests(runtime.uow, settings),
                      min(60.0, settings.notifications_digest_window_seconds / 4))  # fmt: skip


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
    rebuild_projection=rebuild_projection,
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
