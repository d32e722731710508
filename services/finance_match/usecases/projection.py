"""finance_match's view of the enterprises, kept from registry snapshots and eligibility tier changes.

An enterprise counts as SRDI (and so gets a paired bank) when it holds a valid recognition of the
SRDI SME tier or above, or the rules currently find it eligible for one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.finance_match.domain.matching import tier_rank
from services.finance_match.domain.vocabulary import SRDI_RANK
from services.finance_match.persistence.tables import EnterpriseView
from shared.events.catalogue import EnterpriseSnapshot
from shared.uow import UnitOfWork


def valid_recognitions(snapshot: EnterpriseSnapshot, today: date) -> list[str]:
    return sorted({r.tier for r in snapshot.recognitions if r.valid_from <= today <= r.valid_to})


def tier_rank_of(view: EnterpriseView) -> int:
    return tier_rank([*view.recognised_tiers, *view.eligible_tiers])


def refresh_srdi(view: EnterpriseView) -> None:
    view.is_srdi = tier_rank_of(view) >= SRDI_RANK


async def upsert_snapshot(uow: UnitOfWork, snapshot: EnterpriseSnapshot) -> EnterpriseView:
    now = datetime.now(UTC)
    view = await uow.session.get(EnterpriseView, snapshot.uscc)
    if view is None:
        view = EnterpriseView(
            uscc=snapshot.uscc,
            name=snapshot.name,
            prefecture_code=snapshot.prefecture_code,
            county_code=snapshot.county_code,
            industry_code=snapshot.industry_code,
            first_seen_at=now,
            updated_at=now,
        )
    view.name = snapshot.name
    view.prefecture_code = snapshot.prefecture_code
    view.county_code = snapshot.county_code
    view.industry_code = snapshot.industry_code
    view.contact_email = snapshot.contact_email
    view.recognised_tiers = valid_recognitions(snapshot, now.date())
    view.updated_at = now
    refresh_srdi(view)
    uow.session.add(view)
    await uow.session.flush()
    return view


async def apply_tier_change(
    uow: UnitOfWork, uscc: str, tier: str, eligible: bool, prefecture_code: str
) -> EnterpriseView:
    now = datetime.now(UTC)
    view = await uow.session.get(EnterpriseView, uscc)
    if view is None:  # the registry's event is still on its way: a stub it will complete
        view = EnterpriseView(
            uscc=uscc,
            name="",
            prefecture_code=prefecture_code,
            county_code="",
            industry_code="",
            first_seen_at=now,
            updated_at=now,
        )
    tiers = set(view.eligible_tiers)
    if eligible:
        tiers.add(tier)
    else:
        tiers.discard(tier)
    view.eligible_tiers = sorted(tiers)
    view.updated_at = now
    refresh_srdi(view)
    uow.session.add(view)
    await uow.session.flush()
    return view
