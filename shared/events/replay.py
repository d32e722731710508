"""Replaying the event history: every event of some producers' topics on Kafka, from the earliest
offset to the end as it stood when the replay began, handed to ``apply`` in each partition's order.

What a projection rebuild (``srdi rebuild-projection <service>``) is made of: the service deletes
its projection and re-applies the history in ONE transaction, so readers see the old projection
until the commit and the rebuilt one after — never a half-built table. Events written after the
replay began are left to the live consumer (its inbox and the projection's own version rule make
applying them again harmless). An event that cannot be read or applied (a poison) is counted and
skipped, as the live consumer would have dead-lettered it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from shared.config import ServiceSettings
from shared.events.envelope import Envelope, topic_for_source

log = logging.getLogger(__name__)
# What a malformed event raises in a projection's apply: skipped and counted, not fatal.
UNREADABLE = (ValidationError, ValueError, KeyError, TypeError)


@dataclass(frozen=True)
class RebuildReport:
    events: int  # read from the history
    applied: int  # that changed the projection
    skipped: int  # unreadable (poison)
    rows: int  # in the rebuilt projection


@dataclass(frozen=True)
class ReplayCount:
    events: int
    applied: int
    skipped: int


def namespaced_topic(settings: ServiceSettings, source: str) -> str:
    name = topic_for_source(source)
    return f"{settings.kafka_namespace}.{name}" if settings.kafka_namespace else name


async def _partitions(bootstrap: str, topics: Sequence[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return sorted(
        (TopicPartition(t["topic"], p["partition"]) for t in described if t.get("error_code", 0) == 0
         for p in t["partitions"]),
        key=lambda tp: (tp.topic, tp.partition),
    )  # fmt: skip


async def replay_history(
    settings: ServiceSettings, sources: Sequence[str], apply: Callable[[Envelope], Awaitable[bool]]
) -> ReplayCount:
    """``apply(envelope)`` → whether it changed anything; raising one of ``UNREADABLE`` skips the event."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    events = applied = skipped = 0
    try:
        partitions = await _partitions(settings.kafka_bootstrap, [namespaced_topic(settings, s) for s in sources])
        remaining: set[TopicPartition] = set()
        ends: dict[TopicPartition, int] = {}
        if partitions:
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        continue  # written after the replay began: the live consumer applies it
                    events += 1
                    try:
                        changed = await apply(Envelope.from_bytes(message.value or b""))
                    except UNREADABLE as error:
                        skipped += 1
                        log.warning("replay: event at %s/%d skipped: %s", tp, message.offset, error)
                        continue
                    applied += int(changed)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return ReplayCount(events, applied, skipped)
