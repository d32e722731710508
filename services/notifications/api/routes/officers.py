"""The officer roster, each enterprise's officer (with history), and operator overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import func
from sqlmodel import col, select

from services.notifications import assignments
from services.notifications.access import enterprise_visible, operator_scope, require_operator
from services.notifications.api.deps import RuntimeDep
from services.notifications.api.schemas import OfficerIn, OfficerPatch, OverrideIn
from services.notifications.persistence.tables import Assignment, Officer
from shared.api import PrincipalDep
from shared.identity import Principal, Role
from shared.problems import Problem
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/notifications", tags=["officers"])


def officer_view(officer: Officer, load: int | None = None) -> dict[str, Any]:
    view = {"officer_id": officer.id, "name": officer.name, "organisation": officer.organisation,
            "prefecture_code": officer.prefecture_code, "phone": officer.phone, "email": officer.email,
            "capacity": officer.capacity, "active": officer.active}  # fmt: skip
    if load is not None:
        view["load"] = load
    return view


def assignment_view(row: Assignment) -> dict[str, Any]:
    return {"officer_id": row.officer_id, "prefecture_code": row.prefecture_code, "reason": row.reason,
            "assigned_by": row.assigned_by, "assigned_at": row.assigned_at, "ended_at": row.ended_at}  # fmt: skip


async def _officer(uow: UnitOfWork, principal: Principal, officer_id: str) -> Officer:
    officer = await uow.session.get(Officer, officer_id)
    if officer is None:
        raise Problem(404, "not-found", "Officer not found", "未找到该服务员")
    if principal.role is Role.OFFICER and principal.tenant == officer.id:
        return officer
    require_operator(principal, officer.prefecture_code)
    return officer


async def _loads(uow: UnitOfWork, officer_ids: list[str]) -> dict[str, int]:
    rows = await uow.session.execute(
        select(Assignment.officer_id, func.count())
        .where(col(Assignment.officer_id).in_(officer_ids), col(Assignment.ended_at).is_(None))
        .group_by(Assignment.officer_id)
    )
    return {officer_id: int(count) for officer_id, count in rows.all()}


@router.get("/officers", summary="Officer roster / 助企服务员名册")
async def list_officers(
    principal: PrincipalDep, runtime: RuntimeDep, prefecture: str | None = Query(default=None, pattern=r"^53\d{2}$")
) -> list[dict[str, Any]]:
    scope = operator_scope(principal, prefecture)
    query = select(Officer).order_by(col(Officer.prefecture_code), col(Officer.id))
    if scope:
        query = query.where(Officer.prefecture_code == scope)
    async with runtime.uow() as uow:
        officers = list(await uow.session.exec(query))
        loads = await _loads(uow, [o.id for o in officers])
    return [officer_view(o, loads.get(o.id, 0)) for o in officers]


@router.post("/officers", status_code=201, summary="Add an officer / 新增服务员")
async def create_officer(body: OfficerIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    require_operator(principal, body.prefecture_code)
    async with runtime.uow() as uow:
        if await uow.session.get(Officer, body.id) is not None:
            raise Problem(409, "officer-exists", "An officer with this id exists", "该服务员编号已存在")
        officer = Officer(**body.model_dump(), created_at=datetime.now(UTC))
        uow.session.add(officer)
        await uow.commit()
        return officer_view(officer, 0)


@router.get("/officers/{officer_id}", summary="One officer / 服务员详情")
async def read_officer(officer_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        officer = await _officer(uow, principal, officer_id)
        return officer_view(officer, (await _loads(uow, [officer.id])).get(officer.id, 0))


@router.patch(
    "/officers/{officer_id}", summary="Change an officer; deactivating reassigns their enterprises / 修改服务员"
)
async def update_officer(
    officer_id: str, body: OfficerPatch, principal: PrincipalDep, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        officer = await _officer(uow, principal, officer_id)
        require_operator(principal, officer.prefecture_code)
        for key, value in body.model_dump(exclude_unset=True).items():
            setattr(officer, key, value)
        uow.session.add(officer)
        await uow.session.flush()
        moved = await assignments.release_officer(uow, officer.id) if body.active is False else 0
        await uow.commit()
        return officer_view(officer, (await _loads(uow, [officer.id])).get(officer.id, 0)) | {"reassigned": moved}


@router.get("/officers/{officer_id}/enterprises", summary="An officer's enterprises / 服务员服务的企业")
async def officer_enterprises(officer_id: str, principal: PrincipalDep, runtime: RuntimeDep) -> list[str]:
    async with runtime.uow() as uow:
        officer = await _officer(uow, principal, officer_id)
        rows = await uow.session.exec(
            select(Assignment.uscc).where(Assignment.officer_id == officer.id, col(Assignment.ended_at).is_(None))
            .order_by(col(Assignment.uscc))
        )  # fmt: skip
        return list(rows)


@router.get("/enterprises/{uscc}/officer", summary="An enterprise's officer / 企业的助企服务员")
async def enterprise_officer(uscc: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        view = await enterprise_visible(uow, principal, uscc, platform=True)
        current = await assignments.active_assignment(uow, view.uscc)
        officer = await uow.session.get(Officer, current.officer_id) if current else None
    return {
        "uscc": view.uscc,
        "officer": None if officer is None else {"officer_id": officer.id, "name": officer.name,
                                                 "organisation": officer.organisation, "phone": officer.phone},
        "assigned_at": current.assigned_at if current else None,
    }  # fmt: skip


@router.put("/enterprises/{uscc}/officer", summary="Operator override: assign an officer / 指定服务员")
async def override_officer(uscc: str, body: OverrideIn, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        view = await enterprise_visible(uow, principal, uscc)
        require_operator(principal, view.prefecture_code)
        officer = await uow.session.get(Officer, body.officer_id)
        if officer is None or not officer.active:
            raise Problem(422, "unknown-officer", "No active officer with this id", "无此在岗服务员",
                          detail=f"officer_id: {body.officer_id}")  # fmt: skip
        if officer.prefecture_code != view.prefecture_code and principal.role is Role.PREFECTURE_OPERATOR:
            raise Problem(422, "officer-elsewhere", "The officer serves another prefecture", "该服务员不属于本辖区")
        await assignments.assign(uow, view.uscc, view.prefecture_code, officer.id, reason="override",
                                 assigned_by=principal.subject)  # fmt: skip
        await uow.commit()
        rows = await assignments.history(uow, view.uscc)
    return {"uscc": view.uscc, "officer_id": officer.id, "history": [assignment_view(r) for r in rows]}


@router.get("/enterprises/{uscc}/officer/history", summary="Assignment history / 服务员变更记录")
async def officer_history(uscc: str, principal: PrincipalDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        view = await enterprise_visible(uow, principal, uscc)
        return [assignment_view(r) for r in await assignments.history(uow, view.uscc)]
