"""Unit of work: one database transaction, with the events it must publish.

Events added with :meth:`UnitOfWork.emit` are written to the ``outbox`` table in the same
transaction as the state change, so either both happen or neither does. After commit the relay is
woken; it publishes the rows and marks them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.bulkload import append_rows, copy_field, copy_text
from shared.events.catalogue import IntegrationEvent
from shared.events.envelope import Envelope, topic_for_source
from shared.events.serialised import SerialisedEnvelope
from shared.events.tables import MessagingTables
from shared.logs import current_traceparent

BULK_OUTBOX_ROWS = 100
_OUTBOX_LINE = ("event_id", "topic", "type", "subject", "envelope")  # a bulk COPY's fields, then the constants


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        service: str,
        on_commit: Callable[[], None] | None = None,
        settings: Any = None,
    ) -> None:
        self._sessions = sessions
        # The service's settings, for handlers that need them (handlers receive only the envelope and the UoW).
        self.settings = settings
        self.tables = tables
        self.service = service
        self._on_commit = on_commit
        self._pending: list[Envelope | SerialisedEnvelope] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use 'async with uow:' before touching the session")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        self._pending = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            # Detach what was loaded first, so that objects read in the block stay readable after it;
            # then roll back (a no-op after commit; undoes everything otherwise).
            session.expunge_all()
            await session.rollback()
        finally:
            await session.close()
            self._session = None

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: on error its changes and the events it emitted are both undone."""
        mark = len(self._pending)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self._pending[mark:]
            raise

    def emit(self, event: IntegrationEvent | Envelope) -> Envelope:
        envelope = event if isinstance(event, Envelope) else event.to_envelope(current_traceparent())
        self._pending.append(envelope)
        return envelope

    def emit_serialised(self, envelopes: list[SerialisedEnvelope]) -> None:
        """Envelopes already written as JSON (a bulk change: ``shared.events.serialised``)."""
        self._pending += envelopes

    async def commit(self) -> None:
        await self._write_outbox()
        await self.session.commit()
        had_events = bool(self._pending)
        self._pending = []
        if had_events and self._on_commit is not None:
            self._on_commit()

    async def _write_outbox(self) -> None:
        if not self._pending:
            return
        now = datetime.now(UTC)
        topic = topic_for_source(self.service)
        if len(self._pending) >= BULK_OUTBOX_ROWS:  # a bulk change (an import batch): COPY on PostgreSQL
            connection = await self.session.connection()
            serialised = [e for e in self._pending if isinstance(e, SerialisedEnvelope)]
            if connection.dialect.name == "postgresql" and len(serialised) == len(self._pending):
                # Their JSON is UTF-8 already: written as it is, never decoded. The topic and type are
                # escaped once per batch; the id is a UUID (``serialise_batch``), nothing to escape.
                topic_field = copy_field(topic.encode())
                kinds = {e.type for e in serialised}
                heads = {kind: b"\t".join((topic_field, copy_field(kind.encode()))) for kind in kinds}
                lines = [b"\t".join((e.id.encode(), heads[e.type], copy_field(e.subject.encode()), copy_field(e.json)))
                         for e in serialised]  # fmt: skip
                await copy_text(connection, self.tables.outbox, _OUTBOX_LINE, lines, {"created_at": now, "attempts": 0})
                return
        rows: list[dict[str, Any]] = [
            {
                "event_id": envelope.id,
                "topic": topic,
                "type": envelope.type,
                "subject": envelope.subject,
                "envelope": envelope.model_dump_json(),
                "created_at": now,
                "attempts": 0,
            }
            for envelope in self._pending
        ]
        if len(rows) >= BULK_OUTBOX_ROWS:
            await append_rows(self.session, self.tables.outbox, rows)
            return
        await self.session.execute(self.tables.outbox.insert(), rows)
