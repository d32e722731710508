"""API keys (administrators): issue (shown once), list, rotate with an overlap window, revoke at
once; and ``whoami`` for any caller."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.gateway.api.deps import AdminCallerDep, CallerDep, RuntimeDep, auth_cache
from services.gateway.persistence.api_keys import aware, create_key, list_keys, revoke_key, rotate_key
from services.gateway.persistence.tables import ApiKey
from shared.identity import SCOPES, Role
from shared.problems import FieldError, Problem, not_found
from shared.text import CLEAN, TRIMMED, TRIMMED_NFKC

router = APIRouter(prefix="/api/v1/gateway", tags=["gateway"])
SCOPE_PATTERN = r"^(\*|(registry|eligibility|finance|notifications|integration|gateway):(read|write))$"

Tenant = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.:-]+$"), TRIMMED_NFKC, CLEAN
]


class ApiKeyCreate(BaseModel):
    role: Role
    tenant: Tenant | None = Field(default=None, description="prefecture, credit code, bank id … by role")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), TRIMMED, CLEAN]
    scopes: list[Annotated[str, StringConstraints(max_length=64), CLEAN]] | None = Field(
        default=None,
        max_length=20,
        description="access scopes, e.g. registry:read integration:read (omitted = the role's reach), and purpose "
        "scopes, e.g. contact_data (a platform reads contacts unmasked) / 访问范围与用途授权",
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3660, description="omitted = no expiry")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"role": "platform", "tenant": "platform-yn-gov", "name": "一部手机办事通", "scopes": ["integration:read"],
         "expires_in_days": 365},
    ]})  # fmt: skip

    def validated_scopes(self) -> list[str] | None:
        for index, scope in enumerate(self.scopes or []):
            if scope not in SCOPES and not re.match(SCOPE_PATTERN, scope):
                raise Problem(422, "validation-failed", "Invalid scope", "无效的权限范围", errors=[FieldError(
                    f"scopes.{index}", "bad-scope", "<service>:read|write, * or contact_data",
                    "应为 <服务>:read|write、* 或 contact_data", scope)])  # fmt: skip
        return self.scopes


class ApiKeyCreated(BaseModel):
    key: str = Field(description="shown once; only its hash is stored / 仅显示一次")
    prefix: str
    role: Role
    tenant: str | None
    name: str
    scopes: list[str] | None = None
    expires_at: datetime | None = None


class ApiKeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: int | None = Field(
        default=None, ge=0, le=30 * 86_400, description="how long the old key keeps working; default from settings"
    )


def key_view(row: ApiKey) -> dict[str, Any]:
    now = datetime.now(UTC)
    expires_at = aware(row.expires_at)
    status = "revoked" if row.revoked_at else "expired" if expires_at and expires_at <= now else "active"
    return {
        "prefix": row.prefix, "role": row.role, "tenant": row.tenant, "name": row.name,
        "scopes": row.scopes.split() if row.scopes else None, "created_at": aware(row.created_at),
        "expires_at": expires_at, "revoked_at": aware(row.revoked_at), "replaced_by": row.replaced_by, "status": status,
    }  # fmt: skip


@router.get("/whoami", summary="The caller's identity / 当前身份")
async def whoami(caller: CallerDep) -> dict[str, Any]:
    return {"role": caller.role, "tenant": caller.tenant, "subject": caller.subject, "name": caller.name,
            "scopes": list(caller.scopes)}  # fmt: skip


@router.post("/api-keys", status_code=201, summary="Issue an API key / 签发 API 密钥")
async def issue_api_key(body: ApiKeyCreate, runtime: RuntimeDep, _: AdminCallerDep) -> ApiKeyCreated:
    scopes = body.validated_scopes()
    expires_at = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    async with runtime.uow() as uow:
        row, new_key = await create_key(uow, body.role, body.tenant, body.name, scopes, expires_at)
    return ApiKeyCreated(key=new_key.plaintext, prefix=row.prefix, role=body.role, tenant=body.tenant, name=body.name,
                         scopes=scopes, expires_at=expires_at)  # fmt: skip


@router.get("/api-keys", summary="List API keys (never their secrets) / API 密钥列表")
async def list_api_keys(runtime: RuntimeDep, _: AdminCallerDep) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        return [key_view(row) for row in await list_keys(uow)]


@router.post("/api-keys/{prefix}/rotate", status_code=201, summary="Rotate an API key / 轮换 API 密钥")
async def rotate_api_key(
    prefix: str, request: Request, runtime: RuntimeDep, _: AdminCallerDep, body: ApiKeyRotate | None = None
) -> ApiKeyCreated:
    """A new key with the same role, tenant and scopes (shown once); the old key keeps working for the
    overlap window so the caller can switch without downtime, then stops."""
    default = runtime.settings.gateway_key_rotation_overlap_seconds  # type: ignore[attr-defined]
    overlap = timedelta(seconds=body.overlap_seconds if body and body.overlap_seconds is not None else default)
    async with runtime.uow() as uow:
        rotated = await rotate_key(uow, prefix, overlap)
    if rotated is not None:
        await auth_cache(request).invalidate()  # the old key's expiry moved closer: on every replica
    if rotated is None:
        raise not_found("Active API key", "有效的 API 密钥")
    row, new_key = rotated
    return ApiKeyCreated(
        key=new_key.plaintext, prefix=row.prefix, role=Role(row.role), tenant=row.tenant, name=row.name,
        scopes=row.scopes.split() if row.scopes else None, expires_at=aware(row.expires_at),
    )  # fmt: skip


@router.delete("/api-keys/{prefix}", summary="Revoke an API key now / 立即吊销 API 密钥")
async def revoke_api_key(prefix: str, request: Request, runtime: RuntimeDep, _: AdminCallerDep) -> dict[str, Any]:
    async with runtime.uow() as uow:
        row = await revoke_key(uow, prefix)
    # After the commit: every replica's next request reads a new generation and asks the database.
    await auth_cache(request).invalidate()
    if row is None:
        raise not_found("API key", "API 密钥")
    return key_view(row)
