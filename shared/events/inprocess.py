"""In-process bus for the embedded mode: no broker, same outbox → relay → inbox path.

``publish`` returns only after every subscribed consumer has applied (or dead-lettered) each
envelope, so the relay marks an outbox row published only once its effects are committed: a crash
in between means the row is published again and the inbox drops the duplicate — at-least-once,
exactly as with Kafka. Envelopes for one consumer are delivered in publish order, each published
batch in one consumer transaction (as a Kafka partition's fetched batch is).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from shared.events.bus import EventBus, Subscriber
from shared.events.envelope import Envelope

log = logging.getLogger(__name__)


class InProcessBus(EventBus):
    def __init__(self) -> None:
        self._consumers: list[Subscriber] = []
        self._locks: dict[str, asyncio.Lock] = {}
        self.dead_letters: list[tuple[str, Envelope, str]] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        return None

    def subscribe(self, consumer: Subscriber) -> None:
        self._consumers.append(consumer)
        self._locks.setdefault(consumer.name, asyncio.Lock())

    async def start_consumers(self) -> None:
        return None

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        for consumer in self._consumers:
            if topic not in consumer.topics:
                continue
            async with self._locks[consumer.name]:
                await consumer.deliver_batch(envelopes)

    async def publish_dead_letter(self, consumer: str, envelope: Envelope, error: str) -> None:
        self.dead_letters.append((consumer, envelope, error))

    async def healthy(self) -> bool:
        return True
