"""Kafka bus (aiokafka) for the distributed mode.

Producer: idempotent, ``acks=all``, keyed by the envelope subject so one enterprise's events land in
one partition, in order. An idempotent producer whose sequence the brokers no longer accept (after the
whole cluster restarted, say: ``OutOfOrderSequenceNumber``, ``UnknownProducerId``) never recovers by
itself; the bus then replaces it with a new one (a new producer id) and the caller's retry goes out on
it — the relay re-sends its unmarked rows, and the consumers' inbox drops what had arrived already.

Consumers: one consumer group per consuming service; each fetch's batch of
a partition is applied in one inbox transaction (``EventConsumer.deliver_batch``), the partitions'
batches side by side, and the offsets are committed manually, only after those transactions have
committed (at-least-once; the inbox makes redelivery harmless). ``auto_offset_reset=earliest`` so a
new group sees the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    InvalidProducerEpoch,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    UnknownProducerId,
)

from shared.events.bus import EventBus, Subscriber
from shared.events.envelope import Envelope, dead_letter_topic

log = logging.getLogger(__name__)
MAX_BATCH = 500  # messages per fetch: one consumer transaction per partition's share of it
# Errors after which an idempotent producer's every later send fails the same way: replace the producer.
FATAL_PRODUCER_ERRORS = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


class KafkaBus(EventBus):
    def __init__(
        self,
        bootstrap: str,
        partitions: int = 4,
        replication: int = 1,
        namespace: str = "",
        *,
        min_insync_replicas: int | None = None,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
    ) -> None:
        self._bootstrap = bootstrap
        # An optional prefix for every topic and group name: several platforms (or test runs) can
        # share one cluster without seeing each other's events.
        self._namespace = namespace
        self._partitions = partitions
        self._replication = replication
        self._topic_configs = {} if min_insync_replicas is None else {"min.insync.replicas": str(min_insync_replicas)}
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._producer: AIOKafkaProducer | None = None
        self._consumers: list[Subscriber] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._kafka_consumers: list[AIOKafkaConsumer] = []

    def _name(self, name: str) -> str:
        return f"{self._namespace}.{name}" if self._namespace else name

    async def start(self) -> None:
        self._producer = self._new_producer()
        await self._producer.start()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            max_batch_size=256 * 1024,  # a relay batch of snapshots fills few requests
        )

    async def _replace_producer(self, error: Exception) -> None:
        old = self._require_producer()
        log.warning("the producer's sequence was refused (%s): replacing it with a new producer", error)
        fresh = self._new_producer()
        await fresh.start()  # raises (the old one stays) when no broker answers: the caller retries
        self._producer = fresh
        with contextlib.suppress(Exception):
            await old.stop()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for consumer in self._kafka_consumers:
            await consumer.stop()
        self._kafka_consumers.clear()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(t, self._partitions, self._replication, topic_configs=self._topic_configs)
                for t in dict.fromkeys(self._name(topic) for topic in topics)
                if t not in existing
            ]
            if missing:
                # Another replica may create the same topic at the same moment: that is fine.
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        await self.publish_serialized(topic, [(envelope.partition_key, envelope.to_bytes()) for envelope in envelopes])

    async def publish_serialized(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Queue every message, then wait once for all the acks (acks=all): the producer batches them
        per partition (idempotent, so in order per key even with several requests in flight)."""
        producer = self._require_producer()
        name = self._name(topic)
        try:
            futures = [await producer.send(name, value, key=key.encode()) for key, value in messages]
            await asyncio.gather(*futures)
        except FATAL_PRODUCER_ERRORS as error:
            await self._replace_producer(error)
            raise  # not durably accepted: the caller sends the batch again

    async def publish_dead_letter(self, consumer: str, envelope: Envelope, error: str) -> None:
        producer = self._require_producer()
        try:
            future = await producer.send(
                self._name(dead_letter_topic(consumer)),
                envelope.to_bytes(),
                key=envelope.partition_key.encode(),
                headers=[("srdi-error", error[:4000].encode()), ("srdi-consumer", consumer.encode())],
            )
            await future
        except FATAL_PRODUCER_ERRORS as fatal:
            await self._replace_producer(fatal)
            raise

    def subscribe(self, consumer: Subscriber) -> None:
        self._consumers.append(consumer)

    async def start_consumers(self) -> None:
        for consumer in self._consumers:
            await self.ensure_topics([*consumer.topics, dead_letter_topic(consumer.name)])
            kafka_consumer = AIOKafkaConsumer(
                *(self._name(topic) for topic in consumer.topics),
                bootstrap_servers=self._bootstrap,
                group_id=self._name(f"srdi.{consumer.name}"),
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=MAX_BATCH,
                session_timeout_ms=self._session_timeout_ms,
                heartbeat_interval_ms=self._heartbeat_interval_ms,
            )
            await kafka_consumer.start()
            self._kafka_consumers.append(kafka_consumer)
            self._tasks.append(asyncio.create_task(self._consume(kafka_consumer, consumer)))

    async def _consume(self, kafka_consumer: AIOKafkaConsumer, consumer: Subscriber) -> None:
        while True:
            batches = await kafka_consumer.getmany(timeout_ms=500, max_records=MAX_BATCH)
            work = [(partition, messages) for partition, messages in batches.items() if messages]
            if not work:
                continue
            # Partitions hold different keys: their batches are applied side by side, each in order.
            delivered = await asyncio.gather(
                *(self._deliver(kafka_consumer, consumer, partition, messages) for partition, messages in work)
            )
            # Only after the database commits: a crash before this line means redelivery, which the
            # inbox turns into no second effect (at-least-once + idempotent inbox).
            done = zip(work, delivered, strict=True)
            offsets = {partition: messages[-1].offset + 1 for (partition, messages), ok in done if ok}
            if offsets:
                await self._commit(kafka_consumer, offsets)
            if not all(delivered):
                await asyncio.sleep(1.0)

    @staticmethod
    async def _deliver(
        kafka_consumer: AIOKafkaConsumer, consumer: Subscriber, partition: TopicPartition, messages: Sequence[Any]
    ) -> bool:
        try:
            # One transaction for the partition's batch (event by event if an event fails it).
            await consumer.deliver_batch_raw([message.value or b"" for message in messages])
        except Exception:
            # Never let the loop die (its partitions would stall while the group thinks it alive):
            # read the batch again later; the inbox drops what was applied.
            log.exception("delivery of %s@%d.. failed; it will be read again", partition, messages[0].offset)
            kafka_consumer.seek(partition, messages[0].offset)
            return False
        return True

    @staticmethod
    async def _commit(kafka_consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await kafka_consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # The group rebalanced under us: the new owner re-reads from the last commit and the
            # inbox drops what was already applied.
            log.warning("offset commit failed, redelivery will follow: %s", error)

    async def healthy(self) -> bool:
        if self._producer is None:
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=3)
        except (TimeoutError, KafkaError):
            return False
        return True

    def _require_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaBus.start() was not called")
        return self._producer
