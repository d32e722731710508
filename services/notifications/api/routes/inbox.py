"""The in-app inbox (list, unread count, mark read, archive), delivery status, preferences, and
the dead deliveries an admin may retry."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, update
from sqlmodel import col, select

from services.notifications.access import inbox_owner
from services.notifications.api.deps import RuntimeDep
from services.notifications.api.schemas import PreferenceIn
from services.notifications.persistence.tables import Delivery, Message, Preference
from shared.api import AdminDep, PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/notifications", tags=["inbox"])


def item(message: Message) -> dict[str, Any]:
    return {
        "id": message.id, "category": message.category, "title": message.title, "title_zh": message.title_zh,
        "body": message.body, "body_zh": message.body_zh, "uscc": message.uscc, "event_id": message.event_id,
        "rule_id": message.rule_id, "critical": message.critical, "created_at": message.created_at,
        "read_at": message.read_at, "archived_at": message.archived_at,
    }  # fmt: skip


def _cursor(message: Message) -> str:
    return base64.urlsafe_b64encode(f"{message.created_at.isoformat()}|{message.id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        moment, _, message_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(moment), message_id
    except (ValueError, UnicodeDecodeError) as error:
        raise Problem(400, "bad-cursor", "Malformed cursor", "游标格式错误") from error


async def unread_count(uow: UnitOfWork, recipient: str) -> int:
    query = (
        select(func.count())
        .select_from(Message)
        .where(Message.recipient == recipient, col(Message.read_at).is_(None), col(Message.archived_at).is_(None))
    )
    return int(await uow.session.scalar(query) or 0)


@router.get("/inbox", summary="My inbox / 我的消息")
async def inbox(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    recipient: str | None = Query(default=None, max_length=100, description="admins: role:tenant"),
    unread: bool = False,
    archived: bool = False,
    category: str | None = Query(default=None, max_length=40),
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=200),
) -> dict[str, Any]:
    owner = inbox_owner(principal, recipient)
    query = select(Message).where(Message.recipient == owner)
    query = query.where(col(Message.archived_at).is_not(None) if archived else col(Message.archived_at).is_(None))
    if unread:
        query = query.where(col(Message.read_at).is_(None))
    if category:
        query = query.where(Message.category == category)
    if cursor:
        moment, message_id = _decode(cursor)
        query = query.where(or_(col(Message.created_at) < moment,
                                (col(Message.created_at) == moment) & (col(Message.id) < message_id)))  # fmt: skip
    query = query.order_by(col(Message.created_at).desc(), col(Message.id).desc()).limit(limit + 1)
    async with runtime.uow() as uow:
        rows = list(await uow.session.exec(query))
        count = await unread_count(uow, owner)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [item(m) for m in rows], "next_cursor": _cursor(rows[-1]) if more else None, "unread": count}


@router.get("/inbox/unread-count", summary="Unread count / 未读数")
async def inbox_unread(principal: PrincipalDep, runtime: RuntimeDep, recipient: str | None = None) -> dict[str, int]:
    owner = inbox_owner(principal, recipient)
    async with runtime.uow() as uow:
        return {"unread": await unread_count(uow, owner)}


async def _own_message(uow: UnitOfWork, principal: Principal, message_id: str) -> Message:
    message = await uow.session.get(Message, message_id)
    if message is None or (principal.role is not Role.ADMIN and message.recipient != inbox_owner(principal, None)):
        raise Problem(404, "not-found", "Message not found", "未找到该消息")
    return message


@router.post("/inbox/{message_id}/read", summary="Mark read / 标记已读")
async def mark_read(message_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        message = await _own_message(uow, principal, message_id)
        if message.read_at is None:
            now = datetime.now(UTC)
            message.read_at = now
            uow.session.add(message)
            await uow.session.execute(
                update(Delivery).where(col(Delivery.message_id) == message.id, col(Delivery.channel) == "inbox")
                .values(status="read", updated_at=now)
            )  # fmt: skip
            await uow.commit()
        return item(message)


@router.post("/inbox/{message_id}/archive", summary="Archive / 归档")
async def archive(message_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        message = await _own_message(uow, principal, message_id)
        if message.archived_at is None:
            message.archived_at = datetime.now(UTC)
            uow.session.add(message)
            await uow.commit()
        return item(message)


def delivery_view(row: Delivery) -> dict[str, Any]:
    return {"id": row.id, "message_id": row.message_id, "recipient": row.recipient, "channel": row.channel,
            "status": row.status, "attempts": row.attempts, "next_attempt_at": row.next_attempt_at,
            "last_error": row.last_error, "detail": row.detail, "updated_at": row.updated_at}  # fmt: skip


@router.get("/inbox/{message_id}/deliveries", summary="Delivery status per channel / 各渠道投递状态")
async def deliveries(message_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        message = await _own_message(uow, principal, message_id)
        rows = await uow.session.exec(select(Delivery).where(Delivery.message_id == message.id))
        return [delivery_view(r) for r in rows]


@router.get("/admin/deliveries", summary="Deliveries by status, e.g. dead letters / 投递记录（含死信）")
async def list_deliveries(
    _: AdminDep, runtime: RuntimeDep, status: str = Query(default="dead", max_length=20),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:  # fmt: skip
    async with runtime.uow() as uow:
        rows = await uow.session.exec(
            select(Delivery).where(Delivery.status == status).order_by(col(Delivery.id)).limit(limit)
        )
        return [delivery_view(r) for r in rows]


@router.post("/admin/deliveries/{delivery_id}/retry", summary="Retry a dead delivery / 重新投递")
async def retry_delivery(delivery_id: int, _: AdminDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        row = await uow.session.get(Delivery, delivery_id)
        if row is None:
            raise Problem(404, "not-found", "Delivery not found", "未找到投递记录")
        if row.status not in ("dead", "failed"):
            raise Problem(409, "not-retryable", f"Delivery is {row.status}", f"投递状态为 {row.status}，无需重试")
        row.status, row.attempts, row.next_attempt_at = "queued", 0, datetime.now(UTC)
        uow.session.add(row)
        await uow.commit()
        return delivery_view(row)


def preference_view(recipient: str, row: Preference | None) -> dict[str, Any]:
    if row is None:
        return {"recipient": recipient, "channels": {}, "quiet_hours": True, "email": None, "phone": None}
    return {"recipient": recipient, "channels": row.channels, "quiet_hours": row.quiet_hours, "email": row.email,
            "phone": row.phone}  # fmt: skip


@router.get("/preferences", summary="My notification preferences / 通知偏好", tags=["preferences"])
async def get_preferences(principal: PrincipalDep, runtime: RuntimeDep, recipient: str | None = None) -> dict[str, Any]:
    owner = inbox_owner(principal, recipient)
    async with runtime.uow() as uow:
        return preference_view(owner, await uow.session.get(Preference, owner))


@router.put("/preferences", summary="Set preferences (critical notices cannot be muted) / 设置通知偏好",
            tags=["preferences"])  # fmt: skip
async def put_preferences(
    body: PreferenceIn, principal: PrincipalDep, runtime: RuntimeDep, recipient: str | None = None
) -> dict[str, Any]:
    owner = inbox_owner(principal, recipient)
    async with runtime.uow() as uow:
        row = await uow.session.get(Preference, owner) or Preference(recipient=owner, updated_at=datetime.now(UTC))
        row.channels = {category: list(channels) for category, channels in body.channels.items()}
        row.quiet_hours, row.email, row.phone = body.quiet_hours, body.email, body.phone
        row.updated_at = datetime.now(UTC)
        uow.session.add(row)
        await uow.commit()
        return preference_view(owner, row)
