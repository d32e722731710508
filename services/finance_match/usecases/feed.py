"""The feed banks consume: one entry per need shared with a bank or per change to a shared need.
The entry id is the pull cursor; the same entry goes to the bank's webhook subscriptions (message id
``fe_<entry id>``), written in the same transaction, so pull and push always agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from services.finance_match.persistence.tables import EnterpriseView, FeedEntry, Need, NeedShare, webhooks
from services.finance_match.usecases.views import bank_view
from shared import webhooks as wh
from shared.uow import UnitOfWork

FEED_EVENT_TYPES = ("need.shared", "need.updated")


def message_id(entry_id: int) -> str:
    return f"fe_{entry_id}"


def feed_item(entry: FeedEntry, need: Need, share: NeedShare, enterprise: EnterpriseView | None) -> dict[str, Any]:
    assert entry.id is not None
    return {
        "cursor": str(entry.id),
        "type": entry.kind,
        "occurred_at": entry.created_at.isoformat(),
        "need": bank_view(need, share, enterprise),
    }


def webhook_payload(item: dict[str, Any]) -> dict[str, Any]:
    # The Standard Webhooks payload shape: type, timestamp, data.
    return {"type": f"finance.{item['type']}", "timestamp": item["occurred_at"], "data": item}


async def record_feed(uow: UnitOfWork, bank_id: str, need: Need, kind: str) -> FeedEntry:
    entry = FeedEntry(bank_id=bank_id, need_id=need.id, kind=kind, state=need.state, created_at=datetime.now(UTC))
    uow.session.add(entry)
    await uow.session.flush()
    share = await uow.session.get(NeedShare, (need.id, bank_id))
    assert share is not None and entry.id is not None
    enterprise = await uow.session.get(EnterpriseView, need.uscc)
    item = feed_item(entry, need, share, enterprise)
    await wh.enqueue(
        uow.session,
        webhooks,
        owner=bank_id,
        event_type=f"finance.{kind}",
        message_id=message_id(entry.id),
        payload=webhook_payload(item),
    )
    return entry


async def feed_page(uow: UnitOfWork, bank_id: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    rows = (
        await uow.session.execute(
            select(FeedEntry, Need, NeedShare, EnterpriseView)
            .join(Need, Need.id == FeedEntry.need_id)  # type: ignore[arg-type]
            .join(NeedShare, (NeedShare.need_id == FeedEntry.need_id) & (NeedShare.bank_id == FeedEntry.bank_id))  # type: ignore[arg-type]
            .outerjoin(EnterpriseView, EnterpriseView.uscc == Need.uscc)  # type: ignore[arg-type]
            .where(FeedEntry.bank_id == bank_id, FeedEntry.id > after)  # type: ignore[operator]
            .order_by(FeedEntry.id)  # type: ignore[arg-type]
            .limit(limit)
        )
    ).all()
    items = [feed_item(entry, need, share, enterprise) for entry, need, share, enterprise in rows]
    last = rows[-1][0].id if rows else after
    return items, int(last)


async def replay_from(uow: UnitOfWork, bank_id: str, subscription_id: str, after: int) -> int:
    """Send again every feed entry after ``after`` to one subscription: those it had, and those from
    before it existed. Returns how many deliveries are due."""
    items, _ = await feed_page(uow, bank_id, after, 100_000)
    sub = await wh.get_subscription(uow.session, webhooks, subscription_id)
    assert sub is not None
    wanted = set(sub["event_types"])
    ids: list[int] = []
    for item in items:
        event_type = f"finance.{item['type']}"
        if wanted and event_type not in wanted:
            continue
        delivery_id, _ = await wh.enqueue_to(
            uow.session,
            webhooks,
            subscription_id,
            event_type=event_type,
            message_id=message_id(int(item["cursor"])),
            payload=webhook_payload(item),
        )
        ids.append(delivery_id)
    if ids:
        await wh.replay(uow.session, webhooks, subscription_id, delivery_ids=ids)
    return len(ids)
