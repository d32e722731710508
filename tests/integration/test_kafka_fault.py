"""Kafka only, on a 3-broker cluster (replication 3, min ISR 2): with one broker killed, events
written with state changes still reach the consumer — each once, each enterprise in order."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Backend, kafka_backend
from tests.infra import kafka_cluster_bootstrap, kafka_cluster_broker
from tests.support.probe import applied_sequence, count_rows, make_probe_pair, record
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def backend(postgres_url: str) -> Backend:
    return dataclasses.replace(kafka_backend(kafka_cluster_bootstrap(), postgres_url), kafka_replication=3)


@pytest.fixture
def broker_two_killed_later() -> Iterator[None]:
    yield
    kafka_cluster_broker("start-broker", 2)  # leave the cluster whole for the next run


async def test_delivery_survives_a_broker_failure(start_runtime: Any, broker_two_killed_later: None) -> None:
    pair = make_probe_pair()
    consumer = await start_runtime(pair.consumer)
    producer = await start_runtime(pair.producer)
    subjects = [f"9153{index:014d}" for index in range(6)]
    for seq in range(5):
        for subject in subjects:
            await record(producer.uow, pair, subject, seq)
    await eventually(lambda: count_rows(consumer.uow, pair.effect), lambda n: n >= 30, timeout=60, what="30 effects")

    kafka_cluster_broker("stop-broker", 2)
    for seq in range(5, 10):
        for subject in subjects:
            await record(producer.uow, pair, subject, seq)

    await eventually(lambda: count_rows(consumer.uow, pair.effect), lambda n: n >= 60, timeout=120, what="60 effects")
    assert await count_rows(consumer.uow, pair.effect) == 60
    sequences = await applied_sequence(consumer.uow, pair)
    assert all(sequences[subject] == list(range(10)) for subject in subjects)
