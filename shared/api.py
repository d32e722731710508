"""FastAPI dependencies every service uses: the verified principal and role checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.identity import IDENTITY_HEADER, IdentityError, Principal, Role, verify_identity
from shared.problems import forbidden, unauthenticated


def get_principal(request: Request) -> Principal:
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        raise unauthenticated()
    try:
        return verify_identity(token, request.app.state.runtime.settings.internal_signing_key)
    except IdentityError as error:
        raise unauthenticated() from error


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    allowed = set(roles)

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise forbidden(
                f"role {principal.role} may not call this endpoint",
                f"角色 {principal.role} 无权调用此接口",
            )
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
