"""Kafka only: the consumer applies each fetched partition batch in one transaction.

- A poison event in the middle of a batch is dead-lettered alone; the rest of the batch is applied
  once each and in order.
- A consumer that dies after its database commit and before its offset commit applies nothing
  twice: the next owner of the partitions reads the batch again and the inbox drops every event.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from shared.events.envelope import Envelope
from shared.metrics import EVENTS_CONSUMED
from shared.service import ServiceRuntime
from shared.uow import UnitOfWork
from tests.conftest import Backend, kafka_backend
from tests.support.probe import RECORDED, ProbePair, applied_sequence, count_rows, make_probe_pair, record
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
POISON_SEQ = 5


@pytest.fixture
def backend(kafka_bootstrap: str, postgres_url: str) -> Backend:
    return kafka_backend(kafka_bootstrap, postgres_url)


def poison_at(pair: ProbePair, subject: str, seq: int) -> None:
    """The consumer's handler fails on one event (subject, seq), applies every other."""
    (original,) = pair.consumer.event_handlers[RECORDED]  # type: ignore[index]

    async def handler(envelope: Envelope, uow: UnitOfWork) -> None:
        if (envelope.subject, envelope.data["seq"]) == (subject, seq):
            raise ValueError(f"poison event {subject}/{seq}")
        await original(envelope, uow)

    pair.consumer.event_handlers[RECORDED] = [handler]  # type: ignore[index]


async def written_to_kafka(start_runtime: Any, pair: ProbePair, events: list[tuple[str, int]]) -> None:
    """Every event recorded and published before any consumer runs: they arrive as whole batches."""
    producer = await start_runtime(pair.producer)
    for subject, seq in events:
        await record(producer.uow, pair, subject, seq)
    await eventually(producer.relay.pending_count, lambda n: n == 0, what="the outbox published")


async def distinct_effects(runtime: ServiceRuntime, pair: ProbePair) -> int:
    async with runtime.uow() as uow:
        query = select(func.count(func.distinct(pair.effect.c.event_id)))
        return int(await uow.session.scalar(query) or 0)


async def committed_offsets(backend: Backend, pair: ProbePair) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=backend.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(f"{backend.kafka_namespace}.srdi.{pair.consumer.name}")
    finally:
        await admin.close()
    return sum(max(0, meta.offset) for meta in offsets.values())


async def test_a_poison_in_the_middle_of_a_batch_is_dead_lettered_alone(
    start_runtime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pair = make_probe_pair()
    subjects = ["91530100MA6K7U9X3K", "91530100MA6K7U9X4L"]
    poison_at(pair, subjects[0], POISON_SEQ)
    await written_to_kafka(start_runtime, pair, [(subject, seq) for seq in range(10) for subject in subjects])

    caplog.set_level(logging.WARNING, logger="shared.events.consumer")
    consumer = await start_runtime(pair.consumer)
    await eventually(lambda: count_rows(consumer.uow, pair.effect), lambda n: n >= 19, what="19 effects")
    letters = await eventually(consumer.consumer.list_dead_letters, lambda rows: len(rows) == 1, what="a dead letter")

    assert Envelope.model_validate_json(letters[0]["envelope"]).data["seq"] == POISON_SEQ
    assert letters[0]["subject"] == subjects[0] and letters[0]["attempts"] == 3
    sequences = await applied_sequence(consumer.uow, pair)
    assert sequences[subjects[0]] == [seq for seq in range(10) if seq != POISON_SEQ]
    assert sequences[subjects[1]] == list(range(10))
    assert await count_rows(consumer.uow, pair.effect) == await distinct_effects(consumer, pair) == 19
    assert await count_rows(consumer.uow, consumer.definition.tables.inbox) == 19
    assert any("applying its events one by one" in r.getMessage() for r in caplog.records), "the batch fell back"


async def test_a_crash_between_the_database_commit_and_the_offset_commit_applies_nothing_twice(
    start_runtime: Any, backend: Backend
) -> None:
    pair = make_probe_pair()
    events = [(f"9153{index % 3:014d}", seq) for seq in range(8) for index in range(3)]
    await written_to_kafka(start_runtime, pair, events)

    # The first consumer commits its transactions but dies before any offset commit reaches Kafka.
    bus = backend.new_bus()
    offset_commits: list[Any] = []

    async def crash_before_commit(kafka_consumer: Any, offsets: Any) -> None:
        offset_commits.append(offsets)

    bus._commit = crash_before_commit  # type: ignore[attr-defined]
    doomed = ServiceRuntime(pair.consumer, pair.consumer.settings_cls(**backend.settings().model_dump()), bus)
    await bus.start()
    await doomed.start()
    await bus.start_consumers()
    try:
        await eventually(lambda: count_rows(doomed.uow, pair.effect), lambda n: n >= len(events), what="effects")
        await eventually(lambda: _length(offset_commits), lambda n: n >= 1, what="an offset commit attempted")
    finally:
        await doomed.stop()
        await bus.stop()
    assert await committed_offsets(backend, pair) == 0, "nothing was committed to Kafka"
    duplicates = EVENTS_CONSUMED.labels(pair.consumer.name, RECORDED, "duplicate")
    before = duplicates._value.get()

    # The next owner reads every event again: the inbox drops each one.
    successor = await start_runtime(pair.consumer)
    await eventually(lambda: committed_offsets(backend, pair), lambda n: n == len(events), what="offsets committed")
    assert duplicates._value.get() - before == len(events), "every event was delivered again"
    assert await count_rows(successor.uow, pair.effect) == await distinct_effects(successor, pair) == len(events)
    assert await count_rows(successor.uow, successor.definition.tables.inbox) == len(events)
    sequences = await applied_sequence(successor.uow, pair)
    assert all(sequence == list(range(8)) for sequence in sequences.values())


async def _length(items: list[Any]) -> int:
    return len(items)
