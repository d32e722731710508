"""Kafka only: the relay SIGKILLed after publishing and before marking delivers after restart, and
the consumer applies each event once although Kafka carries it twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from shared.events.envelope import topic_for_source
from tests.conftest import TEST_SIGNING_KEY, Backend, kafka_backend
from tests.support.probe import RECORDED, count_rows, make_probe_pair, record
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def backend(kafka_bootstrap: str, postgres_url: str) -> Backend:  # Kafka + PostgreSQL only
    return kafka_backend(kafka_bootstrap, postgres_url)


async def spawn_relay(tag: str, backend: Backend, **env: str) -> asyncio.subprocess.Process:
    environment = os.environ | {
        "SRDI_MODE": "distributed",
        "SRDI_DATABASE_URL": backend.database_url,
        "SRDI_KAFKA_BOOTSTRAP": backend.kafka_bootstrap or "",
        "SRDI_INTERNAL_SIGNING_KEY": TEST_SIGNING_KEY,
        "SRDI_RELAY_POLL_SECONDS": "0.05",
        "SRDI_LOG_LEVEL": "WARNING",
        "SRDI_KAFKA_NAMESPACE": backend.kafka_namespace,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.probe_relay", tag,
        env=environment | env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def read_until(process: asyncio.subprocess.Process, marker: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode()
        if not line:
            raise AssertionError(f"relay exited before printing {marker!r}")
        if marker in line:
            return line


async def messages_in_topic(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        assert partitions, f"no partitions for {topic}"
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        return sum([await consumer.position(tp) for tp in partitions])
    finally:
        await consumer.stop()


async def test_relay_killed_between_publish_and_mark_delivers_once_after_restart(
    start_runtime: Any, backend: Backend
) -> None:
    tag = uuid.uuid4().hex[:8]
    pair = make_probe_pair(tag)
    consumer = await start_runtime(pair.consumer)
    producer = await start_runtime(pair.producer, run_relay=False)
    for seq in range(5):
        await record(producer.uow, pair, "91530100MA6K7U9X3K", seq)

    doomed = await spawn_relay(tag, backend, SRDI_FAULT_RELAY_HANG_AFTER_PUBLISH="true")
    await read_until(doomed, "unmarked")
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    assert await producer.relay.pending_count() == 5, "the killed relay must not have marked anything"

    restarted = await spawn_relay(tag, backend)
    try:
        await eventually(producer.relay.pending_count, lambda n: n == 0, what="the outbox to drain")
        await eventually(lambda: count_rows(consumer.uow, pair.effect), lambda n: n >= 5, what="5 effects")
    finally:
        restarted.terminate()
        await restarted.wait()

    topic = f"{backend.kafka_namespace}.{topic_for_source(pair.producer.name)}"
    assert await messages_in_topic(backend.kafka_bootstrap or "", topic) == 10

    async def duplicates_seen() -> float:
        labels = {"consumer": pair.consumer.name, "type": RECORDED, "outcome": "duplicate"}
        return REGISTRY.get_sample_value("srdi_events_consumed_total", labels) or 0.0

    await eventually(duplicates_seen, lambda n: n == 5, what="the 5 redelivered copies to be skipped")
    assert await count_rows(consumer.uow, pair.effect) == 5
