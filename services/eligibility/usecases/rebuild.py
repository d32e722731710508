"""Rebuild the facts projection from the event history: every registry event on Kafka, from the
earliest offset to the end as it stood when the rebuild began, applied to a fresh projection.

The old rows are deleted and the new ones written in ONE transaction: readers see the old projection
until the commit, then the rebuilt one — never a half-built table. Events are applied with the same
rule the live consumer uses (a snapshot older than the one held changes nothing), so the order of
partitions does not matter. An event no snapshot can be read from (a poison) is counted and skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from sqlalchemy import delete, func, select

from services.eligibility.persistence.tables import FactsProjection
from services.eligibility.usecases.assessments import upsert_projection
from shared.config import ServiceSettings
from shared.events.catalogue import EnterpriseSnapshot
from shared.events.envelope import Envelope, topic_for_source
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildReport:
    events: int
    applied: int
    skipped: int
    enterprises: int


def _topic(settings: ServiceSettings) -> str:
    name = topic_for_source("registry")
    return f"{settings.kafka_namespace}.{name}" if settings.kafka_namespace else name


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t.get("error_code", 0) == 0 for p in t["partitions"])


async def rebuild_facts_projection(settings: ServiceSettings, uow: UnitOfWork) -> RebuildReport:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    events = applied = skipped = 0
    try:
        topic = _topic(settings)
        partitions = [TopicPartition(topic, p) for p in await _partitions(settings.kafka_bootstrap, topic)]
        await uow.session.execute(delete(FactsProjection))
        remaining: set[TopicPartition] = set()
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
                        continue  # written after the rebuild began: the live consumer applies it
                    events += 1
                    try:
                        envelope = Envelope.from_bytes(message.value or b"")
                        snapshot = EnterpriseSnapshot.model_validate(envelope.data["enterprise"])
                    except (ValidationError, ValueError, KeyError, TypeError) as error:
                        skipped += 1
                        log.warning("rebuild: event at %s/%d skipped: %s", tp, message.offset, error)
                        continue
                    if await upsert_projection(uow, snapshot) is not None:
                        applied += 1
                    await uow.session.flush()
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        enterprises = int(await uow.session.scalar(select(func.count()).select_from(FactsProjection)) or 0)
        await uow.commit()
    finally:
        await consumer.stop()
    return RebuildReport(events, applied, skipped, enterprises)
