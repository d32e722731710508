"""Rebuild notifications' view of the enterprises (``enterprise_view``) from the registry's event
history on Kafka (``shared.events.replay``), with the live handler's version rule. Officer
assignments, messages and deliveries are records of what was done, not projections: they stay."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from services.notifications.handlers import upsert_view
from services.notifications.persistence.tables import EnterpriseView
from shared.config import ServiceSettings
from shared.events.catalogue import EnterpriseSnapshot
from shared.events.envelope import Envelope
from shared.events.replay import RebuildReport, replay_history
from shared.uow import UnitOfWork


async def rebuild_projection(settings: ServiceSettings, uow: UnitOfWork) -> RebuildReport:
    await uow.session.execute(delete(EnterpriseView))

    async def apply(envelope: Envelope) -> bool:
        return await upsert_view(uow, EnterpriseSnapshot.model_validate(envelope.data["enterprise"]))

    count = await replay_history(settings, ["registry"], apply)
    rows = int(await uow.session.scalar(select(func.count()).select_from(EnterpriseView)) or 0)
    await uow.commit()
    return RebuildReport(count.events, count.applied, count.skipped, rows)
