"""KafkaBus replaces an idempotent producer whose sequence the brokers refuse (found by tests/faults: after
the whole cluster restarted, the relay's producer failed every send with OutOfOrderSequenceNumber forever)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, OutOfOrderSequenceNumber

from shared.events.envelope import Envelope
from shared.events.kafka import KafkaBus

pytestmark = pytest.mark.asyncio


class FakeProducer:
    def __init__(self, fail_with: Exception | None) -> None:
        self.fail_with = fail_with
        self.sent: list[bytes] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, value: bytes, key: bytes, **_: Any) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail_with is not None:
            future.set_exception(self.fail_with)
        else:
            self.sent.append(value)
            future.set_result(None)
        return future


def bus_with(*producers: FakeProducer) -> KafkaBus:
    bus = KafkaBus("127.0.0.1:1")
    queue = list(producers)
    bus._new_producer = lambda: queue.pop(0)  # type: ignore[assignment,method-assign,return-value]
    return bus


def envelope() -> Envelope:
    return Envelope(source="registry", type="srdi.registry.enterprise.registered.v1", subject="X", data={})


async def test_a_refused_sequence_replaces_the_producer_and_the_retry_goes_out_on_the_new_one() -> None:
    broken, fresh = FakeProducer(OutOfOrderSequenceNumber()), FakeProducer(None)
    bus = bus_with(broken, fresh)
    await bus.start()
    with pytest.raises(OutOfOrderSequenceNumber):
        await bus.publish("registry", [envelope()])  # not accepted: the caller must retry
    assert fresh.started and broken.stopped
    await bus.publish("registry", [envelope()])
    assert len(fresh.sent) == 1


async def test_a_transient_error_keeps_the_producer() -> None:
    slow, spare = FakeProducer(KafkaTimeoutError()), FakeProducer(None)
    bus = bus_with(slow, spare)
    await bus.start()
    with pytest.raises(KafkaTimeoutError):
        await bus.publish("registry", [envelope()])
    assert not spare.started and not slow.stopped
