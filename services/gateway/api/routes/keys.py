"""API-key management (administrators) and ``whoami`` (anyone with a key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.gateway.api.deps import AdminCallerDep, CallerDep
from services.gateway.persistence.api_keys import create_key
from shared.identity import SCOPES, Role, Scope
from shared.service import ServiceRuntime
from shared.text import CLEAN, TRIMMED, TRIMMED_NFKC

router = APIRouter(prefix="/api/v1/gateway", tags=["gateway"])


Tenant = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.:-]+$"), TRIMMED_NFKC, CLEAN
]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    tenant: Tenant | None = Field(default=None, description="prefecture code, credit code, bank id … by role")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN]
    scopes: list[Scope] = Field(
        default_factory=list, max_length=len(SCOPES), description="purpose scopes, e.g. contact_data / 用途授权"
    )


class ApiKeyCreated(BaseModel):
    key: str = Field(description="shown once; only its hash is stored / 仅显示一次")
    prefix: str
    role: Role
    tenant: str | None
    name: str
    scopes: list[str] = Field(default_factory=list)


@router.get("/whoami", summary="The caller's identity / 当前身份")
async def whoami(caller: CallerDep) -> dict[str, Any]:
    return {"role": caller.role, "tenant": caller.tenant, "subject": caller.subject, "name": caller.name,
            "scopes": list(caller.scopes)}  # fmt: skip


@router.post("/api-keys", status_code=201, summary="Issue an API key / 签发 API 密钥")
async def issue_api_key(body: ApiKeyCreate, request: Request, _: AdminCallerDep) -> ApiKeyCreated:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        row, new_key = await create_key(uow, body.role, body.tenant, body.name, scopes=sorted(set(body.scopes)))
    return ApiKeyCreated(key=new_key.plaintext, prefix=row.prefix, role=body.role, tenant=body.tenant, name=body.name,
                         scopes=sorted(set(body.scopes)))  # fmt: skip
