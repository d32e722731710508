"""The tier pyramid: per tier and prefecture, how many enterprises are eligible now and how many
hold a valid recognition — what the dashboard and the province's targets read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import case, func
from sqlmodel import col, select

from services.eligibility.api.deps import RuntimeDep
from services.eligibility.persistence.tables import TierStatus
from shared.api import PrincipalDep
from shared.identity import Role
from shared.problems import forbidden

router = APIRouter(prefix="/api/v1/eligibility/pyramid", tags=["pyramid"])


@router.get("", summary="Tier pyramid / 梯度培育金字塔")
async def tier_pyramid(principal: PrincipalDep, runtime: RuntimeDep, prefecture: str | None = None) -> dict[str, Any]:
    if principal.role is Role.PREFECTURE_OPERATOR:
        prefecture = principal.tenant
    elif not principal.is_province_wide:
        raise forbidden("operators only", "仅限管理部门")
    query = select(
        TierStatus.tier,
        TierStatus.prefecture_code,
        func.sum(case((col(TierStatus.eligible), 1), else_=0)).label("eligible"),
        func.sum(case((col(TierStatus.recognised), 1), else_=0)).label("recognised"),
    ).group_by(TierStatus.tier, TierStatus.prefecture_code)
    if prefecture:
        query = query.where(TierStatus.prefecture_code == prefecture)
    async with runtime.uow() as uow:
        rows = (await uow.session.exec(query)).all()
    tiers: dict[str, dict[str, Any]] = {}
    for tier, prefecture_code, eligible, recognised in rows:
        entry = tiers.setdefault(tier, {"tier": tier, "eligible": 0, "recognised": 0, "by_prefecture": {}})
        entry["eligible"] += int(eligible or 0)
        entry["recognised"] += int(recognised or 0)
        entry["by_prefecture"][prefecture_code] = {"eligible": int(eligible or 0), "recognised": int(recognised or 0)}
    return {"scope": prefecture or "53", "tiers": list(tiers.values())}
