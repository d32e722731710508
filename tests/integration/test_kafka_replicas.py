"""Kafka only: two replicas of a consumer share one consumer group over 4 partitions; every event
is applied once and each enterprise's events arrive in order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Backend, kafka_backend
from tests.support.probe import applied_sequence, count_rows, make_probe_pair, record
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def backend(kafka_bootstrap: str, postgres_url: str) -> Backend:
    return kafka_backend(kafka_bootstrap, postgres_url)


async def test_two_consumer_replicas_apply_each_event_once_in_order(start_runtime: Any) -> None:
    pair = make_probe_pair()
    first = await start_runtime(pair.consumer)
    await start_runtime(pair.consumer)  # the second replica: same group, its own connections
    producer = await start_runtime(pair.producer)
    subjects = [f"9153{index:014d}" for index in range(12)]

    for seq in range(10):
        for subject in subjects:
            await record(producer.uow, pair, subject, seq)

    total = len(subjects) * 10
    await eventually(lambda: count_rows(first.uow, pair.effect), lambda n: n >= total, timeout=60, what="effects")
    assert await count_rows(first.uow, pair.effect) == total
    sequences = await applied_sequence(first.uow, pair)
    for subject in subjects:
        assert sequences[subject] == list(range(10)), f"{subject} out of order"
