"""Kafka bus (aiokafka) for the distributed mode.

Producer: idempotent, ``acks=all``, keyed by the envelope subject so one enterprise's events land in
one partition, in order. An idempotent producer whose sequence the brokers no longer accept (after the
whole cluster restarted, say: ``OutOfOrderSequenceNumber``, ``UnknownProducerId``) never recovers by
itself; the bus then replaces it with a new one (a new producer id) and the caller's retry goes out on
it — the relay re-sends its unmarked rows, and the consumers' inbox drops what had arrived already.

Consumers: one consumer group per consuming service, offsets committed
manually and only after the inbox transaction has committed (at-least-once; the inbox makes
redelivery harmless). ``auto_offset_reset=earliest`` so a new group sees the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

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
        producer = self._require_producer()
        try:
            futures = [
                await producer.send(self._name(topic), envelope.to_bytes(), key=envelope.partition_key.encode())
                for envelope in envelopes
            ]
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
                max_poll_records=200,
                session_timeout_ms=self._session_timeout_ms,
                heartbeat_interval_ms=self._heartbeat_interval_ms,
            )
            await kafka_consumer.start()
            self._kafka_consumers.append(kafka_consumer)
            self._tasks.append(asyncio.create_task(self._consume(kafka_consumer, consumer)))

    async def _consume(self, kafka_consumer: AIOKafkaConsumer, consumer: Subscriber) -> None:
        while True:
            batches = await kafka_consumer.getmany(timeout_ms=500)
            for partition, messages in batches.items():
                done = None
                for message in messages:
                    try:
                        await consumer.deliver_raw(message.value)
                    except Exception:
                        # Never let the loop die (its partitions would stall while the group thinks it
                        # alive): read the message again later; the inbox drops what was applied.
                        log.exception("delivery of %s@%d failed; it will be read again", partition, message.offset)
                        kafka_consumer.seek(partition, message.offset)
                        await asyncio.sleep(1.0)
                        break
                    done = message.offset + 1
                if done is not None:
                    await self._commit(kafka_consumer, partition, done)

    @staticmethod
    async def _commit(kafka_consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int) -> None:
        try:
            await kafka_consumer.commit({partition: offset})
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
