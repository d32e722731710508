"""Events finance_match reacts to (it never calls the producers back):

- every registry event carrying a snapshot refreshes its view of the enterprise, and an SRDI
  enterprise without a paired bank gets one;
- ``eligibility.tier_changed`` updates the enterprise's tiers and re-runs matching for its open needs
  (a tier gained can open products; a tier lost closes them).
"""

from __future__ import annotations

from services.finance_match.config import FinanceMatchSettings
from services.finance_match.usecases import needs, pairings
from services.finance_match.usecases.projection import apply_tier_change, upsert_snapshot
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    FinancialsReported,
    RecognitionExpired,
    RecognitionGranted,
    TierChanged,
)
from shared.events.consumer import EventHandler
from shared.events.envelope import Envelope
from shared.uow import UnitOfWork


def _settings(uow: UnitOfWork) -> FinanceMatchSettings:
    settings = uow.settings
    return settings if isinstance(settings, FinanceMatchSettings) else FinanceMatchSettings()


async def refresh_enterprise(envelope: Envelope, uow: UnitOfWork) -> None:
    snapshot = EnterpriseSnapshot.model_validate(envelope.data["enterprise"])
    before = await uow.session.get(needs.EnterpriseView, snapshot.uscc)
    rank_before = needs.tier_rank_of(before) if before is not None else None
    view = await upsert_snapshot(uow, snapshot)
    await pairings.ensure_paired(uow, view)
    if rank_before is not None and needs.tier_rank_of(view) != rank_before:
        await rerank_open_needs(uow, view, envelope.type)


async def tier_changed(envelope: Envelope, uow: UnitOfWork) -> None:
    event = TierChanged.model_validate(envelope.data)
    view = await apply_tier_change(uow, event.uscc, event.tier, event.eligible, event.prefecture_code)
    await pairings.ensure_paired(uow, view)
    await rerank_open_needs(uow, view, "tier_changed")


async def rerank_open_needs(uow: UnitOfWork, view: needs.EnterpriseView, trigger: str) -> None:
    settings = _settings(uow)
    for need in await needs.open_needs_of(uow, view.uscc):
        await needs.run_matching(
            uow,
            need,
            view,
            trigger,
            "system",
            settings.finance_match_distribute_top,
            settings.finance_match_default_response_days,
        )


EVENT_HANDLERS: dict[str, list[EventHandler]] = {
    event.TYPE: [refresh_enterprise]
    for event in (EnterpriseRegistered, EnterpriseUpdated, FinancialsReported, RecognitionGranted, RecognitionExpired)
}
EVENT_HANDLERS[TierChanged.TYPE] = [tier_changed]
