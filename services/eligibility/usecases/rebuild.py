"""Rebuild the facts projection from the registry's event history on Kafka (``shared.events.replay``):
deleted and re-applied in one transaction, with the live consumer's rule (a snapshot older than the
one held changes nothing), so the order of partitions does not matter."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from services.eligibility.persistence.tables import FactsProjection
from services.eligibility.usecases.assessments import upsert_projection
from shared.config import ServiceSettings
from shared.events.catalogue import EnterpriseSnapshot
from shared.events.envelope import Envelope
from shared.events.replay import RebuildReport, replay_history
from shared.uow import UnitOfWork


async def rebuild_projection(settings: ServiceSettings, uow: UnitOfWork) -> RebuildReport:
    await uow.session.execute(delete(FactsProjection))

    async def apply(envelope: Envelope) -> bool:
        snapshot = EnterpriseSnapshot.model_validate(envelope.data["enterprise"])
        changed = await upsert_projection(uow, snapshot) is not None
        await uow.session.flush()
        return changed

    count = await replay_history(settings, ["registry"], apply)
    rows = int(await uow.session.scalar(select(func.count()).select_from(FactsProjection)) or 0)
    await uow.commit()
    return RebuildReport(count.events, count.applied, count.skipped, rows)

