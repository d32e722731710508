"""Paired banks (结对银行): who is paired with whom, change requests, operator override, coverage."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlmodel import select

from services.finance_match.api.deps import RuntimeDep
from services.finance_match.api.schemas import ChangeRequestIn, OverrideIn
from services.finance_match.persistence.tables import Bank, EnterpriseView, Pairing, PairingChangeRequest
from services.finance_match.usecases import pairings
from shared.api import PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/finance/pairings", tags=["pairings"])
HIDDEN = Problem(404, "not-found", "Enterprise not found", "未找到该企业")


def _operator_scope(principal: Principal, view: EnterpriseView) -> bool:
    if principal.is_province_wide:
        return True
    return principal.role is Role.PREFECTURE_OPERATOR and principal.tenant == view.prefecture_code


async def _visible(uow: UnitOfWork, principal: Principal, uscc: str) -> tuple[EnterpriseView, Pairing | None]:
    view = await uow.session.get(EnterpriseView, uscc)
    if view is None:
        raise HIDDEN
    pairing = await uow.session.get(Pairing, uscc)
    ok = (
        _operator_scope(principal, view)
        or (principal.role is Role.ENTERPRISE and principal.tenant == uscc)
        or (principal.role is Role.BANK and pairing is not None and pairing.bank_id == principal.tenant)
    )
    if not ok:
        raise HIDDEN
    return view, pairing


@router.get("/coverage", summary="Paired-bank coverage per prefecture / 结对覆盖率")
async def coverage(principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    if not (principal.is_province_wide or principal.role in (Role.PREFECTURE_OPERATOR, Role.PLATFORM)):
        raise forbidden("operators only", "仅限主管部门")
    scope = principal.tenant if principal.role is Role.PREFECTURE_OPERATOR else None
    async with runtime.uow() as uow:
        rows = await pairings.coverage(uow, scope)
        load = await pairings.loads(uow)
        banks = {b.id: b for b in (await uow.session.execute(select(Bank))).scalars()}
    total = sum(r["srdi_enterprises"] for r in rows)
    paired = sum(r["paired"] for r in rows)
    return {
        "overall": {
            "srdi_enterprises": total,
            "paired": paired,
            "coverage": str((Decimal(paired) / total).quantize(Decimal("0.0001"))) if total else "0.0000",
        },
        "prefectures": rows,
        "banks": [
            {"bank_id": b.id, "name": b.name, "paired": load.get(b.id, 0), "capacity": b.pairing_capacity}
            for b in sorted(banks.values(), key=lambda b: b.id)
        ]
        if scope is None
        else [],
    }


@router.get("/change-requests", summary="Open change requests (operators) / 结对变更申请")
async def change_requests(principal: PrincipalDep, runtime: RuntimeDep, status: str = "open") -> list[dict[str, Any]]:
    if not (principal.is_province_wide or principal.role is Role.PREFECTURE_OPERATOR):
        raise forbidden("operators only", "仅限主管部门")
    async with runtime.uow() as uow:
        query = (
            select(PairingChangeRequest, EnterpriseView.prefecture_code)
            .join(EnterpriseView, EnterpriseView.uscc == PairingChangeRequest.uscc)  # type: ignore[arg-type]
            .where(PairingChangeRequest.status == status)
            .order_by(PairingChangeRequest.id)  # type: ignore[arg-type]
        )
        if principal.role is Role.PREFECTURE_OPERATOR:
            query = query.where(EnterpriseView.prefecture_code == principal.tenant)
        rows = (await uow.session.execute(query)).all()
    return [r.model_dump(mode="json") | {"prefecture_code": code} for r, code in rows]


@router.post("/change-requests/{request_id}/refuse", summary="Refuse a change request / 驳回结对变更申请")
async def refuse_change(
    request_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: PrincipalDep, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        request = await uow.session.get(PairingChangeRequest, request_id)
        view = await uow.session.get(EnterpriseView, request.uscc) if request else None
        if request is None or view is None or not _operator_scope(principal, view):
            raise Problem(404, "not-found", "Change request not found", "未找到该变更申请")
        if request.status != "open":
            raise Problem(409, "request-decided", "The request was already decided", "该申请已处理",
                          detail=f"status {request.status}")  # fmt: skip
        request.status, request.decided_by, request.decided_at = "refused", principal.subject, datetime.now(UTC)
        uow.session.add(request)
        await uow.commit()
    return request.model_dump(mode="json")


@router.get("/{uscc}", summary="An enterprise's paired bank and its history / 结对银行及历史")
async def get_pairing(uscc: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        view, pairing = await _visible(uow, principal, uscc)
        history = await pairings.history(uow, uscc) if principal.role is not Role.BANK else []
    return {
        "uscc": uscc,
        "prefecture_code": view.prefecture_code,
        "is_srdi": view.is_srdi,
        "bank_id": pairing.bank_id if pairing else None,
        "assigned_at": pairing.assigned_at.isoformat() if pairing else None,
        "reason": pairing.reason if pairing else None,
        "history": history,
    }


@router.post("/{uscc}/change-requests", status_code=201, summary="Ask for another paired bank / 申请变更结对银行")
async def request_change(
    uscc: str, body: ChangeRequestIn, principal: PrincipalDep, runtime: RuntimeDep
) -> dict[str, Any]:
    if principal.role not in (Role.ENTERPRISE, Role.BANK):
        raise forbidden(
            "the enterprise or its paired bank asks; operators override", "由企业或结对银行申请，主管部门直接调整"
        )
    async with runtime.uow() as uow:
        view, _ = await _visible(uow, principal, uscc)
        request = await pairings.request_change(
            uow, view, principal.role.value, principal.subject, body.reason, body.preferred_bank_id
        )
        await uow.commit()
    return request.model_dump(mode="json")


@router.post("/{uscc}/override", summary="Operator assigns the paired bank / 主管部门调整结对银行")
async def override(uscc: str, body: OverrideIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        view = await uow.session.get(EnterpriseView, uscc)
        if view is None or not (principal.is_province_wide or principal.role is Role.PREFECTURE_OPERATOR):
            raise HIDDEN if view is None else forbidden("operators only", "仅限主管部门")
        if not _operator_scope(principal, view):
            raise HIDDEN
        pairing = await pairings.override(uow, view, body.bank_id, body.note, principal.subject)
        await uow.commit()
    return {"uscc": uscc, "bank_id": pairing.bank_id, "reason": pairing.reason}
