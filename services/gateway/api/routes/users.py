"""Users (administrators manage them) and the audit log (administrators read it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.exc import IntegrityError

from services.gateway.api.deps import AdminCallerDep, RuntimeDep, auth_cache
from services.gateway.api.routes.keys import Tenant
from services.gateway.domain.passwords import MIN_LENGTH
from services.gateway.persistence import audit
from services.gateway.persistence.api_keys import aware
from services.gateway.persistence.tables import GatewayUser
from services.gateway.persistence.users import create_user, disable_user, list_users
from shared.identity import Role
from shared.problems import Problem, not_found
from shared.text import CLEAN, TRIMMED

router = APIRouter(prefix="/api/v1/gateway", tags=["users"])


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")
    password: Annotated[str, StringConstraints(min_length=MIN_LENGTH, max_length=200), CLEAN]
    role: Role
    tenant: Tenant | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN]

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [
        {"username": "kunming-operator", "password": "a-long-passphrase", "role": "prefecture_operator",
         "tenant": "5301", "name": "昆明市工信局"}]}}  # fmt: skip


def user_view(user: GatewayUser) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "tenant": user.tenant, "name": user.name,
            "created_at": aware(user.created_at), "disabled_at": aware(user.disabled_at)}  # fmt: skip


@router.post("/users", status_code=201, summary="Create a user / 新建用户")
async def add_user(body: UserCreate, runtime: RuntimeDep, _: AdminCallerDep) -> dict[str, Any]:
    if body.role in (Role.PREFECTURE_OPERATOR, Role.OFFICER, Role.ENTERPRISE, Role.BANK) and not body.tenant:
        raise Problem(422, "tenant-required", "This role needs a tenant", "该角色必须指定所属单位")
    try:
        async with runtime.uow() as uow:
            user = await create_user(uow, body.username, body.password, body.role, body.tenant, body.name)
    except IntegrityError:
        raise Problem(409, "user-exists", "User name taken", "用户名已存在") from None
    return user_view(user)


@router.get("/users", summary="List users / 用户列表")
async def get_users(runtime: RuntimeDep, _: AdminCallerDep) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        return [user_view(user) for user in await list_users(uow)]


@router.delete("/users/{username}", summary="Disable a user now / 停用用户")
async def remove_user(username: str, request: Request, runtime: RuntimeDep, _: AdminCallerDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        user = await disable_user(uow, username)
    await auth_cache(request).invalidate()  # the user's tokens stop on every replica at once
    if user is None:
        raise not_found("User", "用户")
    return user_view(user)


class AuditView(BaseModel):
    id: int
    at: datetime
    subject: str
    role: str | None
    tenant: str | None
    method: str
    path: str
    status: int
    request_id: str
    client: str | None


@router.get("/audit", summary="Audit log of writes / 操作审计日志")
async def audit_log(
    runtime: RuntimeDep,
    _: AdminCallerDep,
    before: int | None = Query(
        default=None, ge=1, le=2**31 - 1, description="cursor: the last id of the previous page"
    ),
    limit: int = Query(default=100, ge=1, le=1000),
    subject: str | None = None,
    tenant: str | None = None,
) -> dict[str, Any]:
    async with runtime.uow() as uow:
        rows = await audit.page(uow, before, limit, subject, tenant)
    items = [AuditView.model_validate(row, from_attributes=True).model_dump(mode="json") for row in rows]
    return {"items": items, "next_cursor": rows[-1].id if len(rows) == limit else None}
