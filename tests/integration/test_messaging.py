"""The messaging contract, on both backends: SQLite + in-process bus, PostgreSQL + real Kafka.

Outbox → relay → bus → inbox: an event written with a state change reaches the consumer's effect
exactly once; a rolled-back change publishes nothing; a duplicate has no second effect; a poison
event is dead-lettered without stopping the consumer and is applied once on replay; one subject's
events keep their order across partitions.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from shared.events.catalogue.registry import EnterpriseRegistered, EnterpriseSnapshot
from shared.events.envelope import Envelope, dead_letter_topic, topic_for_source
from shared.events.serialised import PreparedEvent, serialise_batch
from shared.service import ServiceRuntime
from shared.uow import BULK_OUTBOX_ROWS
from tests.conftest import Backend
from tests.support.probe import RECORDED, applied_sequence, count_rows, make_probe_pair, record
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def effects(runtime: ServiceRuntime, pair) -> int:  # type: ignore[no-untyped-def]
    return await count_rows(runtime.uow, pair.effect)


async def test_event_written_with_state_change_reaches_the_consumer_once(start_runtime) -> None:  # type: ignore[no-untyped-def]
    pair = make_probe_pair()
    consumer = await start_runtime(pair.consumer)
    producer = await start_runtime(pair.producer)

    for seq in range(10):
        await record(producer.uow, pair, "91530100MA6K7U9X3K", seq)

    await eventually(lambda: effects(consumer, pair), lambda n: n >= 10, what="10 effects")
    assert await producer.relay.pending_count() == 0
    assert await effects(consumer, pair) == 10
    assert await count_rows(consumer.uow, consumer.definition.tables.inbox) == 10


async def test_a_rolled_back_change_publishes_nothing(start_runtime) -> None:  # type: ignore[no-untyped-def]
    pair = make_probe_pair()
    producer = await start_runtime(pair.producer, run_relay=False)

    async with producer.uow() as uow:
        await uow.session.execute(pair.ledger.insert().values(subject="S", seq=1))
        uow.emit(Envelope(source="/srdi/probe", type=RECORDED, subject="S", data={"seq": 1}))
        # leaving the block without commit rolls back the state change and the outbox row together

    assert await count_rows(producer.uow, pair.ledger) == 0
    assert await producer.relay.pending_count() == 0


async def test_the_same_event_delivered_twice_has_one_effect(start_runtime) -> None:  # type: ignore[no-untyped-def]
    pair = make_probe_pair()
    consumer = await start_runtime(pair.consumer)
    producer = await start_runtime(pair.producer, run_relay=False)

    envelope = await record(producer.uow, pair, "S-dup", 1)
    # Publish the very same envelope twice, as a relay crash after publish would.
    topic = topic_for_source(pair.producer.name)
    await producer.bus.publish(topic, [envelope])
    await producer.bus.publish(topic, [envelope])
    await producer.relay.publish_pending()  # and a third time through the outbox

    await eventually(
        lambda: count_rows(consumer.uow, consumer.definition.tables.inbox),
        lambda n: n >= 1,
        what="the event to be applied",
    )
    await eventually(lambda: producer.relay.pending_count(), lambda n: n == 0, what="outbox drained")
    assert await effects(consumer, pair) == 1


async def read_topic(backend: Backend, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=backend.kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)  # fmt: skip
    await consumer.start()
    try:
        messages: list[Any] = []
        while batch := await consumer.getmany(timeout_ms=1500):
            messages += [m for partition in batch.values() for m in partition]
        return messages
    finally:
        await consumer.stop()


async def test_poison_event_is_dead_lettered_consumer_goes_on_and_replay_applies_it_once(
    start_runtime, backend: Backend
) -> None:  # type: ignore[no-untyped-def]
    pair = make_probe_pair()
    pair.control.poison_subjects.add("POISON")
    consumer = await start_runtime(pair.consumer)
    producer = await start_runtime(pair.producer)

    await record(producer.uow, pair, "POISON", 1)
    await record(producer.uow, pair, "HEALTHY", 1)
    await record(producer.uow, pair, "HEALTHY", 2)

    await eventually(lambda: effects(consumer, pair), lambda n: n >= 2, what="the healthy events")
    letters = await eventually(consumer.consumer.list_dead_letters, lambda rows: len(rows) == 1, what="one dead letter")
    assert letters[0]["subject"] == "POISON"
    assert letters[0]["attempts"] == 3
    assert "poison event" in letters[0]["error"]
    if backend.is_kafka:  # and the dead-letter topic carries it with the error
        dead = await read_topic(backend, f"{backend.kafka_namespace}.{dead_letter_topic(pair.consumer.name)}")
        assert [(m.key, dict(m.headers)["srdi-consumer"]) for m in dead] == [(b"POISON", pair.consumer.name.encode())]
        assert b"poison event" in dict(dead[0].headers)["srdi-error"]

    pair.control.poison_subjects.clear()  # the fix
    outcomes = await consumer.consumer.replay_dead_letters()
    assert list(outcomes.values()) == ["applied"]
    assert await effects(consumer, pair) == 3
    assert await consumer.consumer.list_dead_letters() == []
    assert await consumer.consumer.replay_dead_letters() == {}
    assert await effects(consumer, pair) == 3


async def test_one_subjects_events_keep_their_order(start_runtime) -> None:  # type: ignore[no-untyped-def]
    pair = make_probe_pair()
    consumer = await start_runtime(pair.consumer)
    producer = await start_runtime(pair.producer)
    subjects = [f"9153{index:014d}" for index in range(16)]

    for seq in range(15):
        for subject in subjects:
            await record(producer.uow, pair, subject, seq)

    total = len(subjects) * 15
    await eventually(lambda: effects(consumer, pair), lambda n: n >= total, timeout=60, what=f"{total} effects")
    sequences = await applied_sequence(consumer.uow, pair)
    for subject in subjects:
        assert sequences[subject] == list(range(15)), f"{subject} out of order: {sequences[subject]}"


async def test_a_bulk_batch_of_serialised_envelopes_is_stored_as_single_writes_store_them(start_runtime) -> None:  # type: ignore[no-untyped-def]
    """An import batch's envelopes come serialised (UTF-8) and go to the outbox in one bulk write
    (COPY on PostgreSQL): each row holds the very JSON the envelope was, whatever its text holds."""
    pair = make_probe_pair()
    producer = await start_runtime(pair.producer, run_relay=False)
    awkward = ['云南"引号"', "back\\slash", "tab\tand\nline\rbreaks", "\\N", "emoji 🧧"]
    events = [
        EnterpriseRegistered(uscc=f"9153010{index:011d}", enterprise=EnterpriseSnapshot(
            uscc=f"9153010{index:011d}", name=awkward[index % len(awkward)] + str(index), prefecture_code="5301",
            county_code="530102", industry_code="C1530"))
        for index in range(BULK_OUTBOX_ROWS + 7)
    ]  # fmt: skip
    envelopes = serialise_batch([PreparedEvent.of(event) for event in events])
    async with producer.uow() as uow:
        uow.emit_serialised(envelopes)
        await uow.commit()
    async with producer.uow() as uow:
        outbox = producer.definition.tables.outbox
        stored = {row.event_id: row for row in await uow.session.execute(select(outbox))}
    assert len(stored) == len(events)
    for envelope, event in zip(envelopes, events, strict=True):
        row = stored[envelope.id]
        assert row.envelope == envelope.json.decode()
        assert (row.type, row.subject, row.attempts) == (event.TYPE, event.uscc, 0)
        assert row.topic == topic_for_source(pair.producer.name)
        assert EnterpriseRegistered.from_envelope(Envelope.model_validate_json(row.envelope)) == event
