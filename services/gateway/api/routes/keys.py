"""API-key management (administrators) and ``whoami`` (anyone with a key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.gateway.api.deps import AdminCallerDep, CallerDep
from services.gateway.persistence.api_keys import create_key
from shared.identity import Role
from shared.service import ServiceRuntime

router = APIRouter(prefix="/api/v1/gateway", tags=["gateway"])


class ApiKeyCreate(BaseModel):
    role: Role
    tenant: str | None = Field(default=None, description="prefecture code, credit code, bank id … by role")
    name: str = Field(min_length=1, max_length=200)


class ApiKeyCreated(BaseModel):
    key: str = Field(description="shown once; only its hash is stored / 仅显示一次")
    prefix: str
    role: Role
    tenant: str | None
    name: str


@router.get("/whoami", summary="The caller's identity / 当前身份")
async def whoami(caller: CallerDep) -> dict[str, Any]:
    return {"role": caller.role, "tenant": caller.tenant, "subject": caller.subject, "name": caller.name}


@router.post("/api-keys", status_code=201, summary="Issue an API key / 签发 API 密钥")
async def issue_api_key(body: ApiKeyCreate, request: Request, _: AdminCallerDep) -> ApiKeyCreated:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        row, new_key = await create_key(uow, body.role, body.tenant, body.name)
    return ApiKeyCreated(key=new_key.plaintext, prefix=row.prefix, role=body.role, tenant=body.tenant, name=body.name)
