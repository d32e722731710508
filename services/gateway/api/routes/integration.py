"""The integration API for other government platforms (role ``platform``; operators province-wide):
an enterprise's consolidated profile by credit code, a batch of up to 1,000 codes, and a cursor
feed of tier changes (免申即享: a policy platform grants benefits without an application).

The profile asks each service with the caller's identity, so each applies its own tenancy; a
service that answers 404/503 (or is not built yet) leaves its field null with the reason in
``unavailable`` — the profile itself never fails for it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import col, select

from services.gateway.api.deps import CallerDep, RuntimeDep, require_scope
from services.gateway.calls import fetch_all
from services.gateway.persistence.tables import TierChange
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.text import CLEAN, TRIMMED_NFKC

router = APIRouter(prefix="/api/v1/integration", tags=["integration"])
INTEGRATION_ROLES = frozenset({Role.PLATFORM, Role.ADMIN, Role.PROVINCIAL_OPERATOR})
BATCH_LIMIT = 1000
BATCH_CONCURRENCY = 32


def require_integration(request: Request, caller: Principal) -> None:
    if caller.role not in INTEGRATION_ROLES:
        raise forbidden("the integration API is for platforms and provincial operators", "集成接口仅对平台及省级开放")
    require_scope(request, "integration:read")


def tiers_of(assessment: dict[str, Any]) -> dict[str, Any]:
    return {
        "assessment_id": assessment.get("id"),
        "assessment_year": assessment.get("assessment_year"),
        "assessed_at": assessment.get("assessed_at"),
        "tiers": [
            {"tier": r.get("tier"), "eligible": r.get("eligible"), "decision": r.get("decision"),
             "score": r.get("score"), "rule_set": r.get("rule_set"), "gaps": len(r.get("gaps") or [])}
            for r in assessment.get("results", [])
        ],
    }  # fmt: skip


async def profile_of(request: Request, caller: Principal, uscc: str) -> dict[str, Any] | None:
    """None when the register does not know the enterprise (or the caller may not see it)."""
    uscc = uscc.strip().upper()
    # The register first: an enterprise it does not know (or hides from the caller) costs one call.
    register = (await fetch_all(request, caller, {"registry": ("registry", f"/api/v1/registry/enterprises/{uscc}")}))
    if register["registry"].status == 404:
        return None
    fetched = register | await fetch_all(request, caller, {
        "eligibility": ("eligibility", f"/api/v1/eligibility/enterprises/{uscc}/assessment"),
        "finance": ("finance", f"/api/v1/finance/enterprises/{uscc}/summary"),
        "officer": ("notifications", f"/api/v1/notifications/enterprises/{uscc}/officer"),
    })  # fmt: skip
    profile: dict[str, Any] = {"uscc": uscc, "unavailable": {}}
    for name, result in fetched.items():
        if not result.ok:
            profile[name] = None
            profile["unavailable"][name] = result.unavailable()
        elif name == "eligibility":
            profile[name] = tiers_of(result.body)
        elif name == "officer":
            profile[name] = result.body.get("officer") if isinstance(result.body, dict) else None
        else:
            profile[name] = result.body
    return profile


@router.get("/enterprises/{uscc}", summary="Consolidated enterprise profile / 企业综合画像")
async def enterprise_profile(uscc: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    """Register, tiers and score, financing status and officer, in one answer."""
    require_integration(request, caller)
    profile = await profile_of(request, caller, uscc)
    if profile is None:
        raise Problem(404, "not-found", "Enterprise not found", "未找到该企业")
    return profile


# A code as pasted: surrounding spaces and full-width characters normalised; anything else is refused.
CreditCodeIn = Annotated[str, StringConstraints(max_length=64, pattern=r"^[0-9A-Za-z]+$"), TRIMMED_NFKC, CLEAN]


class BatchQuery(BaseModel):
    codes: list[CreditCodeIn] = Field(
        min_length=1, max_length=BATCH_LIMIT, description="unified social credit codes"
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"codes": ["91530102MA6K7U9X3A", "91532501MA6KXXXX0B"]}]},
    }


@router.post("/enterprises/batch", summary="Profiles of up to 1,000 enterprises / 批量查询企业画像")
async def batch_profiles(body: BatchQuery, request: Request, caller: CallerDep) -> dict[str, Any]:
    require_integration(request, caller)
    codes = list(dict.fromkeys(code.strip().upper() for code in body.codes))
    gate = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def one(code: str) -> dict[str, Any]:
        async with gate:
            profile = await profile_of(request, caller, code)
        return profile | {"found": True} if profile else {"uscc": code, "found": False}

    items = await asyncio.gather(*(one(code) for code in codes))
    return {"count": len(items), "found": sum(1 for i in items if i["found"]), "items": items}


@router.get("/tier-changes", summary="Feed of tier changes / 梯度资格变化订阅")
async def tier_changes(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    after: str | None = Query(default=None, description="a cursor from an earlier page; omitted = the beginning"),
    limit: int = Query(default=100, ge=1, le=1000),
    tier: str | None = Query(default=None, pattern=r"^(innovative_sme|srdi_sme|little_giant|single_champion)$"),
) -> dict[str, Any]:
    """In feed order; ``next_cursor`` resumes after the last item (store it, come back any time).
    Prefecture operators get their prefecture only."""
    prefecture = None
    if caller.role is Role.PREFECTURE_OPERATOR:
        prefecture = caller.tenant
        require_scope(request, "integration:read")
    else:
        require_integration(request, caller)
    try:
        start = int(after) if after else 0
    except ValueError:
        raise Problem(422, "bad-cursor", "Malformed cursor", "游标格式错误") from None
    query = select(TierChange).where(col(TierChange.seq) > start).order_by(col(TierChange.seq)).limit(limit)
    if prefecture:
        query = query.where(TierChange.prefecture_code == prefecture)
    if tier:
        query = query.where(TierChange.tier == tier)
    async with runtime.uow() as uow:
        rows = list(await uow.session.exec(query))
    items = [
        {"cursor": str(r.seq), "event_id": r.event_id, "uscc": r.uscc, "tier": r.tier, "eligible": r.eligible,
         "previously_eligible": r.previously_eligible, "rule_set": r.rule_set, "assessment_id": r.assessment_id,
         "prefecture_code": r.prefecture_code, "occurred_at": r.occurred_at.isoformat()}
        for r in rows
    ]  # fmt: skip
    return {"items": items, "next_cursor": items[-1]["cursor"] if items else (after or None)}
