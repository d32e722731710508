"""The event-bus contract. One implementation per transport: Kafka (distributed) and in-process
(embedded). Both carry the same envelopes to the same :class:`~shared.events.consumer.EventConsumer`,
which applies them through the inbox, so the two modes have the same at-least-once semantics.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

from shared.events.envelope import Envelope


class Subscriber(Protocol):
    """What a bus delivers to (`shared.events.consumer.EventConsumer` is the one implementation)."""

    name: str
    topics: list[str]

    async def deliver(self, envelope: Envelope) -> None: ...

    async def deliver_raw(self, raw: bytes) -> None: ...

    async def deliver_batch(self, envelopes: Sequence[Envelope]) -> None: ...

    async def deliver_batch_raw(self, raws: Sequence[bytes]) -> None: ...


class EventBus(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create the topics if they do not exist (partitions and replication from settings)."""

    @abstractmethod
    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        """Return only once every envelope is durably accepted (Kafka: acks=all); raise otherwise."""

    async def publish_serialized(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish envelopes already serialised (the outbox holds them so): (partition key, JSON bytes).
        Same guarantee as :meth:`publish`; a bus that can send bytes as they are overrides this."""
        await self.publish(topic, [Envelope.from_bytes(value) for _, value in messages])

    @abstractmethod
    async def publish_dead_letter(self, consumer: str, envelope: Envelope, error: str) -> None: ...

    @abstractmethod
    def subscribe(self, consumer: Subscriber) -> None:
        """Register a consumer; it starts receiving once the bus (or the consumer) is started."""

    @abstractmethod
    async def start_consumers(self) -> None: ...

    @abstractmethod
    async def healthy(self) -> bool: ...
