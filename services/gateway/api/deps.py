"""Gateway dependencies: who is calling (by API key), and the upstream clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.persistence.api_keys import authenticate
from services.gateway.upstreams import Upstreams
from shared.identity import Principal, Role
from shared.problems import forbidden, unauthenticated
from shared.service import ServiceRuntime


def api_key_from(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key")


async def optional_caller(request: Request) -> Principal | None:
    plaintext = api_key_from(request)
    if not plaintext:
        return None
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.uow() as uow:
        principal = await authenticate(uow, plaintext)
    if principal is None:
        raise unauthenticated()
    return principal


async def caller(principal: Annotated[Principal | None, Depends(optional_caller)]) -> Principal:
    if principal is None:
        raise unauthenticated()
    return principal


async def admin_caller(principal: Annotated[Principal, Depends(caller)]) -> Principal:
    if principal.role is not Role.ADMIN:
        raise forbidden("only administrators manage API keys", "仅管理员可管理 API 密钥")
    return principal


def upstreams(request: Request) -> Upstreams:
    return request.app.state.upstreams  # type: ignore[no-any-return]


OptionalCallerDep = Annotated[Principal | None, Depends(optional_caller)]
CallerDep = Annotated[Principal, Depends(caller)]
AdminCallerDep = Annotated[Principal, Depends(admin_caller)]
UpstreamsDep = Annotated[Upstreams, Depends(upstreams)]
