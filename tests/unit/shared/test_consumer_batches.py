"""The consumer's batch path, on SQLite: one transaction per batch with a set-based inbox; batch
handlers see runs of consecutive events; a poison in the middle falls back to one by one so that it
alone is dead-lettered; a database outage is waited out and dead-letters nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.exc import OperationalError

from shared.config import ServiceSettings
from shared.events.consumer import EventHandler, batched
from shared.events.envelope import Envelope
from shared.events.inprocess import InProcessBus
from shared.events.tables import messaging_tables
from shared.service import ServiceDefinition, ServiceRuntime
from shared.uow import UnitOfWork

pytestmark = pytest.mark.asyncio

A, B = "srdi.test.a.v1", "srdi.test.b.v1"


class Recorder:
    """The consumer's handlers: each effect a row (seq, how it was applied); poison seqs raise."""

    def __init__(self) -> None:
        metadata = MetaData()
        self.effect = Table("effect", metadata, Column("id", Integer, primary_key=True), Column("seq", Integer),
                            Column("via", String(10)))  # fmt: skip
        self.poison: set[int] = set()
        self.batch_calls: list[list[int]] = []
        self.statements = 0

        async def one(envelope: Envelope, uow: UnitOfWork) -> None:
            self._check(envelope)
            await uow.session.execute(self.effect.insert().values(seq=envelope.data["seq"], via="one"))

        async def many(envelopes: Sequence[Envelope], uow: UnitOfWork) -> None:
            self.batch_calls.append([e.data["seq"] for e in envelopes])
            for envelope in envelopes:
                self._check(envelope)
            await uow.session.execute(self.effect.insert(), [{"seq": e.data["seq"], "via": "batch"} for e in envelopes])

        handlers: dict[str, list[EventHandler]] = {A: [batched(one, many)], B: [one]}
        self.definition = ServiceDefinition(
            name="batchtest", metadata=metadata, tables=messaging_tables(metadata), migrations_dir=None,
            settings_cls=ServiceSettings, consumes=["elsewhere"], event_handlers=handlers,
        )  # fmt: skip

    def _check(self, envelope: Envelope) -> None:
        if envelope.data["seq"] in self.poison:
            raise ValueError(f"poison {envelope.data['seq']}")


@pytest.fixture
async def consumer(tmp_path: Path) -> AsyncIterator[tuple[ServiceRuntime, Recorder]]:
    recorder = Recorder()
    settings = ServiceSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'srdi.db'}", consumer_max_attempts=2,
                               consumer_backoff_seconds=0.001, consumer_backoff_max_seconds=0.002)  # fmt: skip
    runtime = ServiceRuntime(recorder.definition, settings, InProcessBus(), run_relay=False)
    await runtime.start()
    yield runtime, recorder
    await runtime.stop()


def event(seq: int, event_type: str = A, subject: str = "S") -> Envelope:
    return Envelope(source="/srdi/elsewhere", type=event_type, subject=subject, data={"seq": seq})


async def effects(runtime: ServiceRuntime, recorder: Recorder) -> list[tuple[int, str]]:
    async with runtime.uow() as uow:
        rows = await uow.session.execute(select(recorder.effect.c.seq, recorder.effect.c.via).order_by("id"))
        return [(seq, via) for seq, via in rows]


async def inbox_size(runtime: ServiceRuntime) -> int:
    async with runtime.uow() as uow:
        inbox = runtime.definition.tables.inbox
        return int(await uow.session.scalar(select(func.count()).select_from(inbox)) or 0)


async def test_a_batch_is_applied_in_order_once_and_runs_go_to_the_batch_handler(consumer: Any) -> None:
    runtime, recorder = consumer
    seen_before = event(0)
    await runtime.consumer.deliver(seen_before)
    again = event(4)
    batch = [seen_before, event(1), event(2), event(3, B), again, again, event(5)]

    applied = await runtime.consumer.apply_batch(batch)

    assert applied == {e.id for e in batch[1:]}  # the inbox knew event 0; event 4 twice counts once
    assert recorder.batch_calls == [[1, 2], [4, 5]], "each run of the batch handler's events, in order"
    assert await effects(runtime, recorder) == [(0, "one"), (1, "batch"), (2, "batch"), (3, "one"), (4, "batch"),
                                                (5, "batch")]  # fmt: skip
    assert await inbox_size(runtime) == 6
    assert await runtime.consumer.apply_batch(batch) == set(), "a redelivered batch has no second effect"
    assert len(await effects(runtime, recorder)) == 6


async def test_a_poison_in_the_middle_is_dead_lettered_alone(consumer: Any) -> None:
    runtime, recorder = consumer
    recorder.poison.add(3)
    batch = [event(seq) for seq in range(6)]

    await runtime.consumer.deliver_batch(batch)

    assert await effects(runtime, recorder) == [(0, "one"), (1, "one"), (2, "one"), (4, "one"), (5, "one")]
    letters = await runtime.consumer.list_dead_letters()
    assert [(row["event_id"], row["attempts"]) for row in letters] == [(batch[3].id, 2)]
    assert await inbox_size(runtime) == 5
    assert isinstance(runtime.bus, InProcessBus) and [e.id for _, e, _ in runtime.bus.dead_letters] == [batch[3].id]


async def test_a_database_outage_during_a_batch_dead_letters_nothing(consumer: Any) -> None:
    runtime, recorder = consumer
    real_apply_batch = runtime.consumer.apply_batch
    outages = [OperationalError("COMMIT", {}, ConnectionRefusedError(111, "refused")) for _ in range(4)]

    async def flaky(envelopes: Sequence[Envelope]) -> set[str]:
        if outages:
            raise outages.pop()
        return await real_apply_batch(envelopes)

    runtime.consumer.apply_batch = flaky  # type: ignore[method-assign]
    await runtime.consumer.deliver_batch([event(seq) for seq in range(3)])

    assert outages == []
    assert await effects(runtime, recorder) == [(0, "batch"), (1, "batch"), (2, "batch")]
    assert await runtime.consumer.list_dead_letters() == []


async def test_the_in_process_bus_hands_a_published_batch_over_at_once(consumer: Any) -> None:
    runtime, recorder = consumer
    await runtime.bus.publish(runtime.consumer.topics[0], [event(seq) for seq in range(4)])
    assert recorder.batch_calls == [[0, 1, 2, 3]]
    assert [seq for seq, _ in await effects(runtime, recorder)] == [0, 1, 2, 3]
