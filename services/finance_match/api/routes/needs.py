"""Financing needs (融资需求清单): post, list, read, ranked matches, and each transition.

An enterprise posts and withdraws only its own needs; a bank reads and answers only needs shared with
it; a prefecture operator reads its prefecture's. Out-of-scope needs answer 404.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import and_, or_
from sqlmodel import select

from services.finance_match.api.deps import RuntimeDep, SettingsDep, bank_of, wake_webhooks
from services.finance_match.api.schemas import ApproveIn, DeclineIn, DisburseIn, NeedIn
from services.finance_match.persistence.tables import Bank, EnterpriseView, Need, NeedMatch, NeedShare
from services.finance_match.usecases import needs as commands
from services.finance_match.usecases.views import bank_view, owner_view
from shared.api import PrincipalDep
from shared.idempotency import run_idempotent
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/finance/needs", tags=["needs"])
HIDDEN = Problem(404, "not-found", "Need not found", "未找到该融资需求")
READERS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR, Role.ENTERPRISE, Role.BANK}


def _owner_sees(principal: Principal, need: Need) -> bool:
    if principal.is_province_wide:
        return True
    if principal.role is Role.PREFECTURE_OPERATOR:
        return principal.tenant == need.prefecture_code
    if principal.role is Role.ENTERPRISE:
        return principal.tenant == need.uscc
    return False


async def _bank_names(uow: UnitOfWork) -> dict[str, str]:
    return {b.id: b.name for b in (await uow.session.execute(select(Bank))).scalars()}


async def view_for(uow: UnitOfWork, principal: Principal, need: Need) -> dict[str, Any]:
    if principal.role is Role.BANK:
        share = await uow.session.get(NeedShare, (need.id, principal.tenant or ""))
        if share is None:
            raise HIDDEN
        return bank_view(need, share, await uow.session.get(EnterpriseView, need.uscc))
    if not _owner_sees(principal, need):
        raise HIDDEN
    return owner_view(need, await commands.shares_of(uow, need.id), await _bank_names(uow))


async def _load(uow: UnitOfWork, need_id: str, lock: bool = False) -> Need:
    # A transition locks the row (PostgreSQL), so two callers cannot both move the same state.
    need = await uow.session.get(Need, need_id, with_for_update=lock)
    if need is None:
        raise HIDDEN
    return need


@router.post("", status_code=201, summary="Post a financing need (enterprise) / 发布融资需求")
async def post_need(
    body: NeedIn, request: Request, principal: PrincipalDep, runtime: RuntimeDep, settings: SettingsDep
) -> Any:
    if principal.role is not Role.ENTERPRISE or not principal.tenant:
        raise forbidden("only an enterprise posts its own needs", "仅企业本身可发布融资需求")

    async def effect(uow: UnitOfWork) -> tuple[int, Any, dict[str, str]]:
        enterprise = await uow.session.get(EnterpriseView, principal.tenant)
        if enterprise is None or not enterprise.prefecture_code or not enterprise.industry_code:
            raise Problem(
                409,
                "enterprise-unknown",
                "The enterprise is not in the register yet",
                "企业尚未入库（请先在企业库登记）",
            )
        need = await commands.post_need(
            uow,
            enterprise,
            commands.NewNeed(**body.model_dump()),
            principal.subject,
            settings.finance_match_distribute_top,
            settings.finance_match_default_response_days,
        )
        return 201, await view_for(uow, principal, need), {"Location": f"{router.prefix}/{need.id}"}

    response = await run_idempotent(request, principal, runtime.uow, effect)
    wake_webhooks(runtime)
    return response


def _cursor(need: Need) -> str:
    return base64.urlsafe_b64encode(f"{need.posted_at.isoformat()}|{need.id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, need_id = text.split("|", 1)
        return datetime.fromisoformat(at), need_id
    except (ValueError, UnicodeDecodeError) as error:
        raise Problem(400, "bad-cursor", "Invalid cursor", "分页游标无效") from error


@router.get("", summary="Needs visible to the caller / 融资需求列表")
async def list_needs(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    state: str | None = None,
    prefecture_code: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    if principal.role not in READERS:
        raise forbidden(f"role {principal.role} has no access to needs", f"角色 {principal.role} 无权查看融资需求")
    async with runtime.uow() as uow:
        query = select(Need).order_by(Need.posted_at, Need.id)  # type: ignore[arg-type]
        if principal.role is Role.BANK:
            query = query.join(NeedShare, NeedShare.need_id == Need.id).where(NeedShare.bank_id == principal.tenant)  # type: ignore[arg-type]
        elif principal.role is Role.ENTERPRISE:
            query = query.where(Need.uscc == principal.tenant)
        elif principal.role is Role.PREFECTURE_OPERATOR:
            query = query.where(Need.prefecture_code == principal.tenant)
        if state:
            query = query.where(Need.state == state)
        if prefecture_code:
            query = query.where(Need.prefecture_code == prefecture_code)
        if cursor:
            at, need_id = _decode(cursor)
            query = query.where(or_(Need.posted_at > at, and_(Need.posted_at == at, Need.id > need_id)))  # type: ignore[arg-type,operator]
        rows = list((await uow.session.execute(query.limit(limit + 1))).scalars())
        page = rows[:limit]
        data = [await view_for(uow, principal, n) for n in page]
    return {"data": data, "next_cursor": _cursor(page[-1]) if len(rows) > limit else None}


@router.get("/{need_id}", summary="One need / 融资需求详情")
async def get_need(need_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        return await view_for(uow, principal, await _load(uow, need_id))


@router.get("/{need_id}/matches", summary="Ranked, explained matches / 匹配结果及理由")
async def get_matches(need_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        need = await _load(uow, need_id)
        if principal.role is Role.BANK or not _owner_sees(principal, need):
            raise HIDDEN
        rows = (
            await uow.session.execute(select(NeedMatch).where(NeedMatch.need_id == need_id).order_by(NeedMatch.rank))  # type: ignore[arg-type]
        ).scalars()
        names = await _bank_names(uow)
        matches = [
            {
                "rank": m.rank,
                "product_id": m.product_id,
                "bank_id": m.bank_id,
                "bank_name": names.get(m.bank_id),
                "score": f"{m.score:.2f}",
                "rate_from": f"{m.rate_from:.2f}",
                "reasons": m.reasons,
            }
            for m in rows
        ]
    return {"need_id": need_id, "state": need.state, "matches": matches}


async def _bank_action(runtime: RuntimeDep, principal: Principal, need_id: str, action: Any) -> dict[str, Any]:
    bank_id = bank_of(principal)
    async with runtime.uow() as uow:
        need = await _load(uow, need_id, lock=True)
        if await uow.session.get(NeedShare, (need.id, bank_id)) is None:
            raise HIDDEN
        await action(uow, need, bank_id)
        view = await view_for(uow, principal, need)
        await uow.commit()
    wake_webhooks(runtime)
    return view


@router.post("/{need_id}/accept", summary="Accept (受理) — bank / 受理")
async def accept(need_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _bank_action(
        runtime, principal, need_id, lambda uow, need, bank: commands.accept(uow, need, bank, principal.subject)
    )


@router.post("/{need_id}/approve", summary="Approve — accepting bank / 审批通过")
async def approve(need_id: str, body: ApproveIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _bank_action(
        runtime,
        principal,
        need_id,
        lambda uow, need, bank: commands.approve(
            uow, need, bank, body.amount, body.rate, body.term_months, principal.subject
        ),
    )


@router.post("/{need_id}/disburse", summary="Disburse (放款) — accepting bank / 放款")
async def disburse(need_id: str, body: DisburseIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _bank_action(
        runtime,
        principal,
        need_id,
        lambda uow, need, bank: commands.disburse(uow, need, bank, body.amount, body.disbursed_on, principal.subject),
    )


@router.post("/{need_id}/decline", summary="Decline with a reason code — bank / 拒绝")
async def decline(need_id: str, body: DeclineIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _bank_action(
        runtime,
        principal,
        need_id,
        lambda uow, need, bank: commands.decline(uow, need, bank, body.reason_code.value, body.note, principal.subject),
    )


@router.post("/{need_id}/withdraw", summary="Withdraw — enterprise / 撤回")
async def withdraw(need_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        need = await _load(uow, need_id, lock=True)
        if principal.role is not Role.ENTERPRISE or principal.tenant != need.uscc:
            if _owner_sees(principal, need):
                raise forbidden("only the enterprise withdraws its need", "仅企业本身可撤回需求")
            raise HIDDEN
        await commands.withdraw(uow, need, principal.subject)
        view = await view_for(uow, principal, need)
        await uow.commit()
    wake_webhooks(runtime)
    return view
