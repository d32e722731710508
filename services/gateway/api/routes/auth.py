"""Tokens: OAuth2 client credentials for platforms (RFC 6749 §4.4) and log-in for users.

Client credentials: ``client_id`` is an API key's prefix and ``client_secret`` the key itself, sent
as HTTP Basic (§2.3.1) or in the form body. The answer is a short-lived JWT; errors have RFC 6749's
shape (``error``, ``error_description``) plus the platform's problem fields.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StringConstraints

from services.gateway.api.deps import RateLimitsDep, RuntimeDep, client_address
from services.gateway.domain.tokens import issue_token
from services.gateway.persistence.api_keys import authenticate
from services.gateway.persistence.users import check_login, principal_of_user
from shared.identity import Role
from shared.logs import request_id_var
from shared.problems import Problem
from shared.text import CLEAN, TRIMMED

router = APIRouter(prefix="/api/v1/gateway", tags=["auth"])
CLIENT_ROLES = frozenset({Role.PLATFORM, Role.BANK})


def oauth_error(status: int, error: str, description: str, description_zh: str, request: Request) -> JSONResponse:
    body = {
        "error": error, "error_description": description, "type": f"urn:srdi:problem:oauth-{error}",
        "title": description, "title_zh": description_zh, "status": status, "instance": request.url.path,
        "request_id": request_id_var.get(),
    }  # fmt: skip
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="srdi"'
    return JSONResponse(body, status_code=status, headers=headers)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post(
    "/oauth/token",
    summary="OAuth2 client credentials → access token / 获取访问令牌",
    openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["grant_type"], "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {"type": "string"}, "client_secret": {"type": "string"},
            "scope": {"type": "string", "example": "integration:read"}}}}}}},
)  # fmt: skip
async def token(request: Request, runtime: RuntimeDep, limits: RateLimitsDep) -> JSONResponse:
    address = client_address(request)
    await limits.check(limits.rules.auth_failures, "auth-failures", address)
    form = await request.form()
    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported",
                           "仅支持 client_credentials 授权方式", request)  # fmt: skip
    credentials = basic_credentials(request) or (str(form.get("client_id", "")), str(form.get("client_secret", "")))
    client_id, secret = credentials
    async with runtime.uow() as uow:
        auth = await authenticate(uow, secret) if secret else None
    if auth is None or auth.principal.subject != f"key:{client_id}" or auth.principal.role not in CLIENT_ROLES:
        await limits.count(limits.rules.auth_failures, "auth-failures", address)
        return oauth_error(401, "invalid_client", "client authentication failed", "客户端认证失败", request)
    requested = frozenset(str(form.get("scope", "")).split())
    scopes = auth.scopes
    if requested:
        if scopes is not None and not requested <= scopes:
            return oauth_error(400, "invalid_scope", "scope exceeds the client's grant", "申请的权限范围超出授权",
                               request)  # fmt: skip
        scopes = requested
    settings = runtime.settings
    ttl = settings.gateway_client_token_ttl_seconds  # type: ignore[attr-defined]
    access_token, _ = issue_token(auth.principal, "client", settings.gateway_jwt_secret,  # type: ignore[attr-defined]
                                  settings.gateway_jwt_issuer, ttl, scopes)  # type: ignore[attr-defined]  # fmt: skip
    body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}
    if scopes is not None:
        body["scope"] = " ".join(sorted(scopes))
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class LoginRequest(BaseModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=100), TRIMMED, CLEAN]
    # Passwords are never trimmed or normalised, only refused when they carry invisible characters.
    password: Annotated[str, StringConstraints(min_length=1, max_length=200), CLEAN]

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"username": "kunming-operator", "password": "…"}]},
    }


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    role: Role
    tenant: str | None
    name: str


@router.post("/login", summary="Log in for an access token / 用户登录")
async def login(body: LoginRequest, request: Request, runtime: RuntimeDep, limits: RateLimitsDep) -> LoginResponse:
    """Failed log-ins are limited per address and per user name (429 with Retry-After)."""
    address = client_address(request)
    await limits.check(limits.rules.auth_failures, "auth-failures", address)
    await limits.check(limits.rules.login_failures, "login-failures", body.username)
    async with runtime.uow() as uow:
        user = await check_login(uow, body.username, body.password)
    if user is None:
        await limits.count(limits.rules.auth_failures, "auth-failures", address)
        await limits.count(limits.rules.login_failures, "login-failures", body.username)
        raise Problem(401, "login-failed", "Wrong user name or password", "用户名或密码错误")
    principal = principal_of_user(user)
    request.state.principal = principal
    settings = runtime.settings
    ttl = settings.gateway_user_token_ttl_seconds  # type: ignore[attr-defined]
    access_token, _ = issue_token(principal, "user", settings.gateway_jwt_secret,  # type: ignore[attr-defined]
                                  settings.gateway_jwt_issuer, ttl)  # type: ignore[attr-defined]  # fmt: skip
    return LoginResponse(access_token=access_token, expires_in=ttl, role=principal.role, tenant=principal.tenant,
                         name=principal.name)  # fmt: skip
