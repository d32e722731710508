"""The feed a bank consumes: cursor pull, and webhook subscriptions (Standard Webhooks signed) with
secret rotation, a delivery log and replay from a cursor. A bank sees and manages only its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from services.finance_match.api.deps import RuntimeDep, SettingsDep, bank_of, wake_webhooks
from services.finance_match.api.schemas import ReplayIn, RotateIn, SubscriptionIn
from services.finance_match.persistence.tables import webhooks
from services.finance_match.usecases import feed
from shared import webhooks as wh
from shared.api import PrincipalDep
from shared.identity import Principal
from shared.problems import Problem, not_found
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/finance/feed", tags=["feed"])


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        parsed = int(value)
    except ValueError as error:
        raise Problem(400, "bad-cursor", "Invalid cursor", "分页游标无效") from error
    if parsed < 0:
        raise Problem(400, "bad-cursor", "Invalid cursor", "分页游标无效")
    return parsed


@router.get("", summary="Needs shared with your bank, from a cursor / 推送给本行的融资需求")
async def pull(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> dict[str, Any]:
    bank_id = bank_of(principal)
    after = _cursor(cursor)
    async with runtime.uow() as uow:
        items, last = await feed.feed_page(uow, bank_id, after, min(limit, settings.finance_match_feed_page_max))
    return {
        "items": items,
        "next_cursor": str(last),
        "has_more": len(items) == min(limit, settings.finance_match_feed_page_max),
    }


async def _own_subscription(uow: UnitOfWork, principal: Principal, subscription_id: str) -> dict[str, Any]:
    bank_id = bank_of(principal)
    sub = await wh.get_subscription(uow.session, webhooks, subscription_id)
    if sub is None or sub["owner"] != bank_id:
        raise not_found("Subscription", "订阅")
    return sub


def _event_types(requested: list[str]) -> list[str]:
    allowed = {f"finance.{t}" for t in feed.FEED_EVENT_TYPES}
    unknown = sorted(set(requested) - allowed)
    if unknown:
        raise Problem(
            422,
            "unknown-event-type",
            "Unknown event type",
            "未知的事件类型",
            detail=f"{unknown}; allowed: {sorted(allowed)}",
        )
    return requested


@router.get("/webhooks", summary="Your webhook subscriptions / 本行的 Webhook 订阅")
async def list_subscriptions(principal: PrincipalDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    bank_id = bank_of(principal)
    async with runtime.uow() as uow:
        return await wh.list_subscriptions(uow.session, webhooks, owner=bank_id)


@router.post("/webhooks", status_code=201, summary="Subscribe (the secret is shown once) / 新建订阅")
async def subscribe(
    body: SubscriptionIn, principal: PrincipalDep, runtime: RuntimeDep, settings: SettingsDep
) -> dict[str, Any]:
    bank_id = bank_of(principal)
    try:
        await wh.validate_url_resolved(body.url, allow_private=settings.webhook_allows_private_urls)
    except ValueError as error:
        raise Problem(422, "bad-url", "Invalid webhook URL", "Webhook 地址无效", detail=str(error)) from error
    async with runtime.uow() as uow:
        sub = await wh.create_subscription(
            uow.session,
            webhooks,
            owner=bank_id,
            url=body.url,
            event_types=_event_types(body.event_types),
            description=body.description,
        )
        await uow.commit()
    return sub


@router.post("/webhooks/{subscription_id}/rotate", summary="Rotate the secret / 轮换密钥")
async def rotate(subscription_id: str, body: RotateIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        await _own_subscription(uow, principal, subscription_id)
        secret = await wh.rotate_secret(uow.session, webhooks, subscription_id, grace=timedelta(hours=body.grace_hours))
        sub = await wh.get_subscription(uow.session, webhooks, subscription_id)
        await uow.commit()
    assert sub is not None
    return {**sub, "secret": secret}


@router.post("/webhooks/{subscription_id}/active", summary="Pause or resume / 暂停或恢复")
async def set_active(
    subscription_id: str, active: bool, principal: PrincipalDep, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        await _own_subscription(uow, principal, subscription_id)
        await wh.set_active(uow.session, webhooks, subscription_id, active)
        sub = await wh.get_subscription(uow.session, webhooks, subscription_id)
        await uow.commit()
    assert sub is not None
    return sub


@router.post("/webhooks/{subscription_id}/replay", summary="Replay from a feed cursor / 从游标重放")
async def replay(subscription_id: str, body: ReplayIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, int]:
    async with runtime.uow() as uow:
        sub = await _own_subscription(uow, principal, subscription_id)
        count = await feed.replay_from(uow, sub["owner"], subscription_id, body.after)
        await uow.commit()
    wake_webhooks(runtime)
    return {"replayed": count}


@router.get("/webhooks/{subscription_id}/deliveries", summary="Delivery log / 投递记录")
async def deliveries(
    subscription_id: str,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    state: str | None = None,
) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        await _own_subscription(uow, principal, subscription_id)
        return await wh.list_deliveries(
            uow.session, webhooks, subscription_id, after_id=after, limit=limit, state=state
        )


@router.get(
    "/webhooks/{subscription_id}/deliveries/{delivery_id}/attempts", summary="Attempts of a delivery / 投递尝试"
)
async def attempts(
    subscription_id: str,
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        await _own_subscription(uow, principal, subscription_id)
        found = await wh.list_deliveries(uow.session, webhooks, subscription_id, after_id=delivery_id - 1, limit=1)
        if not found or found[0]["id"] != delivery_id:
            raise not_found("Delivery", "投递记录")
        return await wh.list_attempts(uow.session, webhooks, delivery_id)
