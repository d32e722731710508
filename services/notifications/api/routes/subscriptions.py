"""Webhook subscriptions of a recipient (the webhook channel): signed per Standard Webhooks by the
shared mechanism (``shared/webhooks.py``). The secret is shown once, at creation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.notifications.access import inbox_owner
from services.notifications.api.deps import RuntimeDep, SettingsDep
from services.notifications.api.schemas import WebhookIn
from services.notifications.channels import WEBHOOK_EVENT
from services.notifications.persistence.tables import webhooks
from shared import webhooks as wh
from shared.api import PrincipalDep
from shared.problems import Problem

router = APIRouter(prefix="/api/v1/notifications/webhooks", tags=["webhooks"])


@router.post("", status_code=201, summary="Subscribe my notices to a webhook / 订阅 Webhook")
async def subscribe_webhook(
    body: WebhookIn, principal: PrincipalDep, runtime: RuntimeDep, settings: SettingsDep, recipient: str | None = None
) -> dict[str, Any]:
    owner = inbox_owner(principal, recipient)
    async with runtime.uow() as uow:
        try:
            await wh.validate_url_resolved(body.url, allow_private=settings.webhook_allows_private_urls)
            created = await wh.create_subscription(
                uow.session, webhooks, owner=owner, url=body.url, event_types=[WEBHOOK_EVENT],
                description=body.description,
            )  # fmt: skip
        except ValueError as error:
            raise Problem(422, "bad-webhook-url", "Not a usable webhook URL", "Webhook 地址无效",
                          detail=f"url: {error}") from error  # fmt: skip
        await uow.commit()
    return created


@router.get("", summary="My webhook subscriptions / 我的 Webhook 订阅")
async def list_webhooks(
    principal: PrincipalDep, runtime: RuntimeDep, recipient: str | None = None
) -> list[dict[str, Any]]:
    owner = inbox_owner(principal, recipient)
    async with runtime.uow() as uow:
        return await wh.list_subscriptions(uow.session, webhooks, owner)


async def _own(runtime: Any, principal: Any, subscription_id: str) -> dict[str, Any]:
    async with runtime.uow() as uow:
        found = await wh.get_subscription(uow.session, webhooks, subscription_id)
    if found is None or (principal.role != "admin" and found["owner"] != inbox_owner(principal, None)):
        raise Problem(404, "not-found", "Subscription not found", "未找到该订阅")
    return found


@router.get("/{subscription_id}/deliveries", summary="Delivery log / 投递记录")
async def webhook_deliveries(
    subscription_id: str, principal: PrincipalDep, runtime: RuntimeDep
) -> list[dict[str, Any]]:
    await _own(runtime, principal, subscription_id)
    async with runtime.uow() as uow:
        return await wh.list_deliveries(uow.session, webhooks, subscription_id)


@router.post("/{subscription_id}/deactivate", summary="Stop a subscription / 停用订阅")
async def deactivate_webhook(subscription_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    await _own(runtime, principal, subscription_id)
    async with runtime.uow() as uow:
        await wh.set_active(uow.session, webhooks, subscription_id, False)
        await uow.commit()
    return await _own(runtime, principal, subscription_id)
