"""Consuming events idempotently, with retries, dead letters and replay.

:meth:`EventConsumer.deliver` applies one envelope in one transaction that also records (consumer,
event id) in the ``inbox``: a redelivered event finds its id there and has no second effect. A
handler that keeps failing is retried with exponential backoff, then the envelope is stored in
``dead_letter`` (and sent to the dead-letter topic) and the consumer goes on. Operators list dead
letters and replay them once the cause is fixed.

:meth:`EventConsumer.deliver_batch` is what the Kafka bus calls with each partition's fetched batch:
ONE transaction for the whole batch — one SELECT of the batch's event ids in the inbox, one
multi-row INSERT of the new inbox rows, the handlers in order, one commit. A handler may come with a
batch form (:func:`batched`), given each run of consecutive events it handles at once. When the
batch transaction fails because of an event (a poison), the batch is applied again event by event,
so only the poison goes to retry and the dead letters; a database outage is waited out without
spending attempts, never dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from shared.events.envelope import Envelope
from shared.logs import bind_trace
from shared.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

EventHandler = Callable[[Envelope, UnitOfWork], Awaitable[None]]
BatchEventHandler = Callable[[Sequence[Envelope], UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class BatchedHandler:
    """An event handler with a batch form: ``batch(envelopes, uow)`` must have exactly the effect of
    ``single`` applied to each envelope in order, in the same transaction."""

    single: EventHandler
    batch: BatchEventHandler

    async def __call__(self, envelope: Envelope, uow: UnitOfWork) -> None:
        await self.single(envelope, uow)


def batched(single: EventHandler, batch: BatchEventHandler) -> EventHandler:
    """Register ``single`` (for one event, replays and the per-event fallback) with its batch form."""
    return BatchedHandler(single, batch)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 10.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1)))


class DeadLetterSink(Protocol):
    """Where a consumer parks an event it cannot apply (every `EventBus` is one)."""

    async def publish_dead_letter(self, consumer: str, envelope: Envelope, error: str) -> None: ...


_UNAVAILABLE_NAMES = {
    "CannotConnectNowError", "ConnectionDoesNotExistError", "ConnectionFailureError", "AdminShutdownError",
    "CrashShutdownError", "InterfaceError", "TooManyConnectionsError", "ConnectionRejectionError",
}  # fmt: skip


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database (or the network to it) is away, not that the handler failed."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, ConnectionError, TimeoutError)):
            return True
        if isinstance(current, DBAPIError) and (
            current.connection_invalidated or isinstance(current, (OperationalError, InterfaceError))
        ):
            return True
        if type(current).__name__ in _UNAVAILABLE_NAMES and type(current).__module__.startswith(
            ("asyncpg", "sqlalchemy")
        ):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


class EventConsumer:
    def __init__(
        self,
        name: str,
        topics: Sequence[str],
        handlers: Mapping[str, Sequence[EventHandler]],
        uow_factory: Callable[[], UnitOfWork],
        bus: DeadLetterSink,
        retry: RetryPolicy,
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.handlers = {event_type: list(fns) for event_type, fns in handlers.items()}
        self._uow_factory = uow_factory
        self._bus = bus
        self._retry = retry

    async def deliver_raw(self, raw: bytes) -> None:
        try:
            envelope = Envelope.from_bytes(raw)
        except (ValidationError, ValueError) as error:
            log.error("undecodable message dropped to the dead-letter topic: %s", error)
            placeholder = Envelope(
                source="unknown", type="srdi.undecodable", subject="-", data={"raw": raw.decode(errors="replace")}
            )
            await self._bus.publish_dead_letter(self.name, placeholder, f"undecodable: {error}")
            return
        await self.deliver(envelope)

    def _decode(self, raw: bytes) -> Envelope | str:
        try:
            return Envelope.from_bytes(raw)
        except (ValidationError, ValueError) as error:
            return str(error)

    async def deliver_batch_raw(self, raws: Sequence[bytes]) -> None:
        """One partition's fetched messages, in offset order (undecodable ones go to the dead letters)."""
        envelopes: list[Envelope] = []
        for raw in raws:
            decoded = self._decode(raw)
            if isinstance(decoded, str):
                # Keep the order of what comes before it, then park it as deliver_raw does.
                await self.deliver_batch(envelopes)
                envelopes = []
                await self.deliver_raw(raw)
            else:
                envelopes.append(decoded)
        await self.deliver_batch(envelopes)

    async def deliver_batch(self, envelopes: Sequence[Envelope]) -> None:
        """Apply ``envelopes`` (in order) in one transaction; event by event if that fails."""
        wanted = [envelope for envelope in envelopes if envelope.type in self.handlers]
        if len(wanted) <= 1:
            for envelope in wanted:
                await self.deliver(envelope)
            return
        outage = 0
        while True:
            try:
                applied = await self.apply_batch(wanted)
            except Exception as error:
                if is_unavailable(error):
                    outage += 1
                    log.warning("database unavailable for a batch of %d (%s); retrying", len(wanted), error)
                    await asyncio.sleep(self._retry.delay(min(outage, 5)))
                    continue
                # An event of the batch is at fault (or a replica won an inbox row): one by one, so
                # that only the poison is retried and dead-lettered.
                log.warning("batch of %d failed (%s: %s); applying its events one by one",
                            len(wanted), type(error).__name__, error)  # fmt: skip
                for envelope in wanted:
                    await self.deliver(envelope)
                return
            for envelope in wanted:
                outcome = "applied" if envelope.id in applied else "duplicate"
                EVENTS_CONSUMED.labels(self.name, envelope.type, outcome).inc()
            return

    async def apply_batch(self, envelopes: Sequence[Envelope]) -> set[str]:
        """Apply each envelope the inbox has not seen, in order, in one transaction; the ids applied."""
        async with self._uow_factory() as uow:
            inbox = uow.tables.inbox
            ids = list(dict.fromkeys(envelope.id for envelope in envelopes))
            seen = set(
                await uow.session.scalars(
                    select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id.in_(ids))
                )
            )
            fresh: list[Envelope] = []
            for envelope in envelopes:
                if envelope.id not in seen:
                    seen.add(envelope.id)  # the same event twice in one batch: once
                    fresh.append(envelope)
            if not fresh:
                return set()
            now = datetime.now(UTC)
            await uow.session.execute(
                inbox.insert(),
                [{"consumer": self.name, "event_id": e.id, "type": e.type, "processed_at": now} for e in fresh],
            )
            for run in self._runs(fresh):
                await self._apply_run(run, uow)
            await uow.commit()  # an IntegrityError (a replica won an inbox row) falls back to one by one
            return {envelope.id for envelope in fresh}

    def _runs(self, envelopes: Sequence[Envelope]) -> list[list[Envelope]]:
        """Consecutive envelopes with the same handlers (a batch handler sees each run at once)."""
        runs: list[list[Envelope]] = []
        previous: list[EventHandler] | None = None
        for envelope in envelopes:
            handlers = self.handlers[envelope.type]
            if runs and handlers == previous:
                runs[-1].append(envelope)
            else:
                runs.append([envelope])
            previous = handlers
        return runs

    async def _apply_run(self, run: Sequence[Envelope], uow: UnitOfWork) -> None:
        handlers = self.handlers[run[0].type]
        if not any(isinstance(handler, BatchedHandler) for handler in handlers):
            for envelope in run:  # exactly as one by one: every handler for an event, then the next event
                with bind_trace(envelope.traceparent):
                    for handler in handlers:
                        await handler(envelope, uow)
            return
        for handler in handlers:  # handler by handler over the run, in order
            if isinstance(handler, BatchedHandler):
                await handler.batch(run, uow)
                continue
            for envelope in run:
                with bind_trace(envelope.traceparent):
                    await handler(envelope, uow)

    async def deliver(self, envelope: Envelope) -> None:
        if envelope.type not in self.handlers:
            return
        with bind_trace(envelope.traceparent):
            attempt = outage = 0
            while attempt < self._retry.max_attempts:
                try:
                    applied = await self.apply(envelope)
                except Exception as error:
                    if is_unavailable(error):
                        # The database is away (restart, failover), not the event at fault: wait for it,
                        # without spending an attempt — a transient outage never dead-letters an event.
                        outage += 1
                        log.warning("database unavailable for %s %s (%s); retrying", envelope.type, envelope.id, error)
                        await asyncio.sleep(self._retry.delay(min(outage, 5)))
                        continue
                    attempt += 1
                    log.warning(
                        "handler failed (attempt %d/%d) for %s %s: %s",
                        attempt,
                        self._retry.max_attempts,
                        envelope.type,
                        envelope.id,
                        error,
                    )
                    if attempt == self._retry.max_attempts:
                        await self._dead_letter_when_possible(envelope, error, attempt)
                        return
                    await asyncio.sleep(self._retry.delay(attempt))
                else:
                    EVENTS_CONSUMED.labels(self.name, envelope.type, "applied" if applied else "duplicate").inc()
                    return

    async def apply(self, envelope: Envelope) -> bool:
        """Apply once: False when the inbox says this consumer has already applied the event."""
        async with self._uow_factory() as uow:
            inbox = uow.tables.inbox
            seen = await uow.session.scalar(
                select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id == envelope.id)
            )
            if seen is not None:
                return False
            await uow.session.execute(
                inbox.insert().values(
                    consumer=self.name, event_id=envelope.id, type=envelope.type, processed_at=datetime.now(UTC)
                )
            )
            for handler in self.handlers[envelope.type]:
                await handler(envelope, uow)
            try:
                await uow.commit()
            except IntegrityError:
                # A replica applied the same event concurrently and won the inbox row.
                return False
            return True

    async def _dead_letter_when_possible(self, envelope: Envelope, error: Exception, attempts: int) -> None:
        outage = 0
        while True:
            try:
                await self._dead_letter(envelope, error, attempts)
                return
            except Exception as failure:
                if not is_unavailable(failure):
                    raise
                outage += 1
                await asyncio.sleep(self._retry.delay(min(outage, 5)))

    async def _dead_letter(self, envelope: Envelope, error: Exception, attempts: int) -> None:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        async with self._uow_factory() as uow:
            await uow.session.execute(
                uow.tables.dead_letter.insert().values(
                    consumer=self.name,
                    event_id=envelope.id,
                    type=envelope.type,
                    subject=envelope.subject,
                    envelope=envelope.model_dump_json(),
                    error=detail,
                    attempts=attempts,
                    failed_at=datetime.now(UTC),
                )
            )
            await uow.commit()
        await self._bus.publish_dead_letter(self.name, envelope, detail)
        EVENTS_DEAD_LETTERED.labels(self.name, envelope.type).inc()
        log.error("event %s (%s) dead-lettered after %d attempts: %s", envelope.id, envelope.type, attempts, detail)

    async def list_dead_letters(self, include_replayed: bool = False) -> list[dict[str, Any]]:
        async with self._uow_factory() as uow:
            table = uow.tables.dead_letter
            query = select(table).where(table.c.consumer == self.name).order_by(table.c.id)
            if not include_replayed:
                query = query.where(table.c.replayed_at.is_(None))
            rows = (await uow.session.execute(query)).mappings().all()
            return [dict(row) for row in rows]

    async def replay_dead_letters(self, ids: Sequence[int] | None = None) -> dict[int, str]:
        """Apply stored dead letters again (once each, through the inbox). Returns id → outcome."""
        outcomes: dict[int, str] = {}
        for letter in await self.list_dead_letters():
            if ids is not None and letter["id"] not in ids:
                continue
            envelope = Envelope.model_validate_json(letter["envelope"])
            try:
                applied = await self.apply(envelope)
            except Exception as error:
                outcomes[letter["id"]] = f"failed: {error}"
                continue
            await self._mark_replayed(letter["id"])
            outcomes[letter["id"]] = "applied" if applied else "already-applied"
        return outcomes

    async def _mark_replayed(self, letter_id: int) -> None:
        async with self._uow_factory() as uow:
            table = uow.tables.dead_letter
            await uow.session.execute(
                update(table).where(table.c.id == letter_id).values(replayed_at=datetime.now(UTC))
            )
            await uow.commit()
