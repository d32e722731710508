"""The outbox relay: publishes committed outbox rows and marks them published.

On PostgreSQL several relay replicas share the work: each claims a batch with
``FOR UPDATE SKIP LOCKED`` (so a late-committing transaction's rows are still found — we never read
"ids above the last one published"), and keeps, per subject, only the rows that come before any
pending row of the same subject it does not hold. So one enterprise's events are never published
out of order by two replicas. On SQLite (embedded, one process) a single relay reads, publishes and
marks in separate short transactions, which WAL mode allows next to concurrent writers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.events.bus import EventBus
from shared.events.tables import MessagingTables
from shared.metrics import EVENTS_PUBLISHED

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        service: str,
        engine: AsyncEngine,
        tables: MessagingTables,
        bus: EventBus,
        batch_size: int = 200,
        poll_seconds: float = 0.2,
        hang_after_publish: bool = False,
    ) -> None:
        self.service = service
        self._engine = engine
        self._outbox = tables.outbox
        self._bus = bus
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._hang_after_publish = hang_after_publish
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._locking = engine.dialect.name == "postgresql"

    def wake(self) -> None:
        self._wakeup.set()

    def request_stop(self) -> None:
        """Finish the batch in hand, then return: cancelling mid-transaction is avoided."""
        self._stopping = True
        self._wakeup.set()

    async def run_forever(self) -> None:
        while not self._stopping:
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.service)
                published = 0
                await asyncio.sleep(min(5.0, self._poll_seconds * 10))
            if published:
                continue  # there may be more
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_seconds)
            self._wakeup.clear()

    async def publish_pending(self) -> int:
        """One pass: publish up to one batch. Returns how many rows were published."""
        if self._locking:
            return await self._publish_claimed_batch()
        async with self._engine.connect() as conn:
            rows = (await conn.execute(self._pending_query())).all()
        if not rows:
            return 0
        await self._publish(rows)
        async with self._engine.begin() as conn:
            await self._mark_published(conn, [row.id for row in rows])
        return len(rows)

    async def _publish_claimed_batch(self) -> int:
        async with self._engine.begin() as conn:
            claimed = (await conn.execute(self._pending_query().with_for_update(skip_locked=True))).all()
            rows = await self._in_subject_order(conn, claimed)
            if not rows:
                return 0
            await self._publish(rows)
            await self._mark_published(conn, [row.id for row in rows])
        return len(rows)

    def _pending_query(self) -> Any:
        o = self._outbox
        return (
            select(o.c.id, o.c.topic, o.c.subject, o.c.envelope)
            .where(o.c.published_at.is_(None))
            .order_by(o.c.id)
            .limit(self._batch_size)
        )

    async def _in_subject_order(self, conn: AsyncConnection, claimed: Sequence[Row[Any]]) -> list[Row[Any]]:
        """Keep each subject's claimed rows only up to its first pending row held by another relay."""
        if not claimed:
            return []
        o = self._outbox
        held = {row.id for row in claimed}
        pending = await conn.execute(
            select(o.c.id, o.c.subject)
            .where(
                o.c.published_at.is_(None),
                o.c.subject.in_({row.subject for row in claimed}),
                o.c.id <= max(held),
            )
            .order_by(o.c.id)
        )
        first_foreign: dict[str, int] = {}
        for row_id, subject in pending:
            if row_id not in held:
                first_foreign.setdefault(subject, row_id)
        return [row for row in claimed if row.id < first_foreign.get(row.subject, sys.maxsize)]

    async def _publish(self, rows: Sequence[Row[Any]]) -> None:
        # The outbox holds each envelope serialised: send those bytes as they are (no parse and
        # re-dump per row), every topic's rows queued before one wait for all the acks.
        by_topic: dict[str, list[tuple[str, bytes]]] = {}
        for row in rows:
            by_topic.setdefault(row.topic, []).append((row.subject, row.envelope.encode()))
        await asyncio.gather(*(self._bus.publish_serialized(topic, messages) for topic, messages in by_topic.items()))
        for messages in by_topic.values():
            EVENTS_PUBLISHED.labels(self.service).inc(len(messages))
        if self._hang_after_publish:
            print(f"relay {self.service}: published {len(rows)} unmarked", flush=True)  # noqa: T201
            await asyncio.Event().wait()

    async def _mark_published(self, conn: AsyncConnection, ids: list[int]) -> None:
        o = self._outbox
        await conn.execute(
            update(o).where(o.c.id.in_(ids)).values(published_at=datetime.now(UTC), attempts=o.c.attempts + 1)
        )

    async def pending_count(self) -> int:
        async with self._engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(self._outbox).where(self._outbox.c.published_at.is_(None))
            )
        return int(count or 0)
