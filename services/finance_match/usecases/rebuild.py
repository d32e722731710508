"""Rebuild finance_match's view of the enterprises (``enterprise_view``) from the event history on
Kafka (``shared.events.replay``): the registry's snapshots and eligibility's tier changes, with the
live handlers' projection steps only — pairings, matches and the feed are records of what was done,
not projections, and stay as they are."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from services.finance_match.persistence.tables import EnterpriseView
from services.finance_match.usecases.projection import apply_tier_change, upsert_snapshot
from shared.config import ServiceSettings
from shared.events.catalogue import EnterpriseSnapshot, TierChanged
from shared.events.envelope import Envelope
from shared.events.replay import RebuildReport, replay_history
from shared.uow import UnitOfWork


async def rebuild_projection(settings: ServiceSettings, uow: UnitOfWork) -> RebuildReport:
    await uow.session.execute(delete(EnterpriseView))

    async def apply(envelope: Envelope) -> bool:
        if envelope.type.startswith("srdi.registry."):  # every registry event carries the snapshot
            await upsert_snapshot(uow, EnterpriseSnapshot.model_validate(envelope.data["enterprise"]))
            return True
        if envelope.type == TierChanged.TYPE:
            event = TierChanged.model_validate(envelope.data)
            await apply_tier_change(uow, event.uscc, event.tier, event.eligible, event.prefecture_code)
            return True
        return False  # eligibility's other events do not shape the view

    count = await replay_history(settings, ["registry", "eligibility"], apply)
    rows = int(await uow.session.scalar(select(func.count()).select_from(EnterpriseView)) or 0)
    await uow.commit()
    return RebuildReport(count.events, count.applied, count.skipped, rows)
