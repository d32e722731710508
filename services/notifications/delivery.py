"""The delivery worker: sends queued deliveries over their channel; a failure is retried with
exponential backoff, and after the last attempt the delivery is dead-lettered (status ``dead``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from services.notifications.channels import Channel
from services.notifications.config import NotificationsSettings
from services.notifications.persistence.tables import Delivery, Message
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


def backoff(settings: NotificationsSettings, attempts: int) -> timedelta:
    seconds = settings.notifications_delivery_backoff_seconds * 2 ** (attempts - 1)
    return timedelta(seconds=min(settings.notifications_delivery_backoff_max_seconds, seconds))


async def deliver_due(
    uow_factory: Callable[[], UnitOfWork],
    channels: Mapping[str, Channel],
    settings: NotificationsSettings,
    now: datetime | None = None,
    limit: int = 100,
) -> int:
    """One pass: every due delivery is claimed (a lease, so two workers never send it twice), sent,
    and marked. Returns how many were attempted."""
    now = now or datetime.now(UTC)
    async with uow_factory() as uow:
        due = list(
            await uow.session.exec(
                select(Delivery)
                .where(col(Delivery.status).in_(("queued", "failed")), col(Delivery.next_attempt_at) <= now)
                .order_by(col(Delivery.next_attempt_at))
                .limit(limit)
            )
        )
    attempted = 0
    for delivery in due:
        async with uow_factory() as uow:
            claimed = await uow.session.execute(
                update(Delivery)
                .where(col(Delivery.id) == delivery.id, col(Delivery.next_attempt_at) == delivery.next_attempt_at)
                .values(next_attempt_at=now + LEASE)
            )
            await uow.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        attempted += 1
        async with uow_factory() as uow:
            message = await uow.session.get(Message, delivery.message_id)
        channel = channels.get(delivery.channel)
        status, detail, error = "failed", None, None
        try:
            if channel is None or message is None:
                raise RuntimeError(f"no channel {delivery.channel!r}" if channel is None else "message gone")
            status, detail = await channel.send(delivery.address or "", message)
        except Exception as failure:  # any channel failure is retried, never lost
            error = f"{type(failure).__name__}: {failure}"[:1000]
        async with uow_factory() as uow:
            row = await uow.session.get(Delivery, delivery.id)
            assert row is not None
            row.attempts += 1
            row.updated_at = datetime.now(UTC)
            if error is None:
                row.status, row.detail, row.next_attempt_at, row.last_error = status, detail, None, None
            elif row.attempts >= settings.notifications_delivery_max_attempts:
                row.status, row.last_error, row.next_attempt_at = "dead", error, None
                log.error("delivery %s (%s to %s) dead after %d attempts: %s",
                          row.id, row.channel, row.address, row.attempts, error)  # fmt: skip
            else:
                row.status, row.last_error = "failed", error
                row.next_attempt_at = now + backoff(settings, row.attempts)
            uow.session.add(row)
            await uow.commit()
    return attempted
