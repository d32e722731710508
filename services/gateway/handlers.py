"""Events the gateway consumes: eligibility's tier changes, kept in its own table so that the
integration feed (免申即享) never reads another service's database.

Feed order is allocated by one atomic ``UPDATE … RETURNING`` on a counter row; on PostgreSQL the
row lock is held to commit, so feed order is commit order and a reader resuming after cursor N
never misses a row that committed late. (SQLite serialises writers anyway.)
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import col

from services.gateway.persistence.tables import FeedCounter, TierChange
from shared.events.catalogue.eligibility import TierChanged
from shared.events.consumer import EventHandler
from shared.events.envelope import Envelope
from shared.uow import UnitOfWork

TIER_FEED = "tier_change"


async def next_seq(uow: UnitOfWork, feed: str) -> int:
    result = await uow.session.execute(
        update(FeedCounter)
        .where(col(FeedCounter.feed) == feed)
        .values(value=col(FeedCounter.value) + 1)
        .returning(col(FeedCounter.value))
    )
    value = result.scalar_one_or_none()
    if value is None:  # first ever: the primary key makes a concurrent first insert fail and retry
        uow.session.add(FeedCounter(feed=feed, value=1))
        await uow.session.flush()
        return 1
    return int(value)


async def record_tier_change(envelope: Envelope, uow: UnitOfWork) -> None:
    event = TierChanged.from_envelope(envelope)
    seq = await next_seq(uow, TIER_FEED)
    uow.session.add(
        TierChange(
            seq=seq, event_id=envelope.id, uscc=event.uscc, tier=event.tier, eligible=event.eligible,
            previously_eligible=event.previously_eligible, rule_set=event.rule_set,
            assessment_id=event.assessment_id, prefecture_code=event.prefecture_code,
            occurred_at=envelope.time, recorded_at=datetime.now(UTC),
        )
    )  # fmt: skip


EVENT_HANDLERS: dict[str, list[EventHandler]] = {TierChanged.TYPE: [record_tier_change]}
