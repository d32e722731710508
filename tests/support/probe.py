"""A throw-away producer/consumer pair for testing the messaging machinery itself.

The producer records a ``ledger`` row and emits ``srdi.probe.recorded.v1`` in one unit of work; the
consumer's handler writes an ``effect`` row. Each test gets fresh service names, so its own topics,
consumer group and databases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from shared.config import ServiceSettings
from shared.events.consumer import EventHandler
from shared.events.envelope import Envelope
from shared.events.tables import messaging_tables
from shared.service import ServiceDefinition
from shared.uow import UnitOfWork

RECORDED = "srdi.probe.recorded.v1"


@dataclass
class ProbeControl:
    """What the test can steer in the consumer: subjects whose events fail (poison)."""

    poison_subjects: set[str] = field(default_factory=set)


@dataclass
class ProbePair:
    producer: ServiceDefinition
    consumer: ServiceDefinition
    ledger: Table
    effect: Table
    control: ProbeControl


def make_probe_pair(tag: str | None = None) -> ProbePair:
    tag = tag or uuid.uuid4().hex[:8]
    control = ProbeControl()

    producer_metadata = MetaData()
    ledger = Table(
        "ledger",
        producer_metadata,
        Column("id", Integer, primary_key=True),
        Column("subject", String(40)),
        Column("seq", Integer),
    )
    consumer_metadata = MetaData()
    effect = Table(
        "effect",
        consumer_metadata,
        Column("id", Integer, primary_key=True),
        Column("subject", String(40)),
        Column("seq", Integer),
        Column("event_id", String(36)),
    )

    async def record_effect(envelope: Envelope, uow: UnitOfWork) -> None:
        if envelope.subject in control.poison_subjects:
            raise ValueError(f"poison event for {envelope.subject}")
        await uow.session.execute(
            effect.insert().values(subject=envelope.subject, seq=envelope.data["seq"], event_id=envelope.id)
        )

    handlers: dict[str, list[EventHandler]] = {RECORDED: [record_effect]}
    producer = ServiceDefinition(
        name=f"probe_p_{tag}",
        metadata=producer_metadata,
        tables=messaging_tables(producer_metadata),
        migrations_dir=None,
        settings_cls=ServiceSettings,
    )
    consumer = ServiceDefinition(
        name=f"probe_c_{tag}",
        metadata=consumer_metadata,
        tables=messaging_tables(consumer_metadata),
        migrations_dir=None,
        settings_cls=ServiceSettings,
        consumes=[producer.name],
        event_handlers=handlers,
    )
    return ProbePair(producer, consumer, ledger, effect, control)


async def record(uow_factory: object, pair: ProbePair, subject: str, seq: int) -> Envelope:
    """The producer's state change and its event, in one transaction."""
    async with uow_factory() as uow:  # type: ignore[operator]
        await uow.session.execute(pair.ledger.insert().values(subject=subject, seq=seq))
        envelope = uow.emit(
            Envelope(source=f"/srdi/{pair.producer.name}", type=RECORDED, subject=subject, data={"seq": seq})
        )
        await uow.commit()
    return envelope  # type: ignore[no-any-return]


async def count_rows(uow_factory: object, table: Table) -> int:
    async with uow_factory() as uow:  # type: ignore[operator]
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)


async def applied_sequence(uow_factory: object, pair: ProbePair) -> dict[str, list[int]]:
    """Each subject's applied seqs in commit order (effect ids grow with each commit)."""
    async with uow_factory() as uow:  # type: ignore[operator]
        rows = await uow.session.execute(select(pair.effect.c.subject, pair.effect.c.seq).order_by(pair.effect.c.id))
        sequences: dict[str, list[int]] = {}
        for subject, seq in rows:
            sequences.setdefault(subject, []).append(seq)
        return sequences
