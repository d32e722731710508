"""Gateway dependencies: who is calling (API key, client token or user token), limits, upstreams.

Every credential arrives as ``Authorization: Bearer …`` (``X-API-Key`` is accepted for keys):
``srdi_…`` is an API key (looked up by its hash), anything shaped like a JWT is a token this gateway
signed — and a token is honoured only while the key or user behind it is still active, so a
revocation takes effect at once for tokens too.

What the database said about a credential is kept in the process for a few seconds
(``services.gateway.auth_cache``), under a revocation generation read on every request: a
revocation on any replica is seen by every replica on its next request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from services.gateway.auth_cache import AuthCache, credential_digest
from services.gateway.domain.tokens import TokenError, looks_like_jwt, verify_token
from services.gateway.persistence.api_keys import (
    Authenticated,
    access_scopes,
    active_key,
    authenticate,
    aware,
    parse_scopes,
    principal_of,
)
from services.gateway.persistence.users import active_user
from services.gateway.ratelimits import RateLimits
from services.gateway.upstreams import Upstreams
from shared.identity import Principal, Role
from shared.problems import forbidden, unauthenticated
from shared.service import ServiceRuntime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_key_from(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits  # type: ignore[no-any-return]


def auth_cache(request: Request) -> AuthCache[Authenticated]:
    return request.app.state.auth_cache  # type: ignore[no-any-return]


def _expires_in(*moments: datetime | None) -> float | None:
    """Seconds until the earliest of the given expiries (None: none of them expires)."""
    known = [moment for moment in moments if moment is not None]
    return min(known).timestamp() - time.time() if known else None


async def resolve_credential(runtime: ServiceRuntime, token: str) -> Authenticated | None:
    """Who the credential is, from the database (API keys by prefix and hash; tokens by signature,
    then the key or user behind them, which must still be active)."""
    settings = runtime.settings
    async with runtime.uow() as uow:
        if not looks_like_jwt(token):
            return await authenticate(uow, token)
        try:
            claims = verify_token(token, settings.gateway_jwt_secret, settings.gateway_jwt_issuer)  # type: ignore[attr-defined]
        except TokenError:
            return None
        token_expiry = datetime.fromtimestamp(claims.expires_at, UTC)
        kind, _, name = claims.principal.subject.partition(":")
        if kind == "key":
            key = await active_key(uow, name)
            if key is None:
                return None
            scopes = access_scopes(claims.scopes) if claims.scopes is not None else parse_scopes(key.scopes)
            # Purpose scopes (contact_data …) come from the key as it is now, not from the token.
            principal = dataclasses.replace(claims.principal, scopes=principal_of(key).scopes)
            expires = min(token_expiry, aware(key.expires_at) or token_expiry)
            return Authenticated(principal, scopes, "client_token", expires)
        if kind == "user" and await active_user(uow, name) is not None:
            return Authenticated(claims.principal, access_scopes(claims.scopes), "user_token", token_expiry)
        return None


async def resolve_through_cache(
    request: Request, token: str, digest: str, generation: str | None
) -> Authenticated | None:
    """:func:`resolve_credential` through the process's cache (see ``services.gateway.auth_cache``);
    ``generation`` must have been read before: a lookup racing a revocation is then stored under the
    old generation and dropped on the next request."""
    cache = auth_cache(request)
    auth = cache.get(digest, generation)
    if auth is not None:
        return auth
    auth = await resolve_credential(request.app.state.runtime, token)
    if auth is not None:
        cache.put(digest, generation, auth, _expires_in(auth.expires_at))
    return auth


async def _first_error(*calls: Awaitable[object]) -> list[object]:
    """Run the calls at once (one round trip to Redis instead of one each); raise the first one's
    error in the order given, after all have finished."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def optional_caller(request: Request) -> Principal | None:
    cached = getattr(request.state, "auth", None)
    if cached is not None:
        return cached.principal  # type: ignore[no-any-return]
    limits = rate_limits(request)
    address = client_address(request)
    token = api_key_from(request)
    if not token:
        await limits.hit(limits.rules.per_address, "address", address)
        return None
    cache = auth_cache(request)
    digest = credential_digest(token)
    known = cache.peek(digest)
    if known is not None:
        # This very credential was validated before, so the budget to count is its own (the subject is
        # the key's prefix or the token's subject, fixed by the credential itself): the brute-force
        # check, the generation and the budget go to Redis together.
        answers = await _first_error(
            cache.generation(),
            limits.check(limits.rules.auth_failures, "auth-failures", address),
            limits.hit(limits.rules.per_key, "credential", known.principal.subject),
        )
        auth = await resolve_through_cache(request, token, digest, cast("str | None", answers[0]))
        if auth is None:
            await limits.count(limits.rules.auth_failures, "auth-failures", address)
            raise unauthenticated()
    else:
        # A brute force of bad credentials from one address is refused before any lookup.
        await limits.check(limits.rules.auth_failures, "auth-failures", address)
        auth = await resolve_through_cache(request, token, digest, await cache.generation())
        if auth is None:
            await limits.count(limits.rules.auth_failures, "auth-failures", address)
            raise unauthenticated()
        await limits.hit(limits.rules.per_key, "credential", auth.principal.subject)
    request.state.auth = auth
    request.state.principal = auth.principal
    return auth.principal


async def caller(principal: Annotated[Principal | None, Depends(optional_caller)]) -> Principal:
    if principal is None:
        raise unauthenticated()
    return principal


async def admin_caller(principal: Annotated[Principal, Depends(caller)]) -> Principal:
    if principal.role is not Role.ADMIN:
        raise forbidden("administrators only", "仅限管理员")
    return principal


def require_scope(request: Request, scope: str) -> None:
    """A credential with scopes may do only what they name (``registry:read``, ``finance:write``,
    ``integration:read`` …; ``<service>:write`` implies ``<service>:read``)."""
    auth: Authenticated | None = getattr(request.state, "auth", None)
    if auth is None or auth.scopes is None:
        return
    service, _, access = scope.partition(":")
    granted = auth.scopes
    if scope in granted or "*" in granted or (access == "read" and f"{service}:write" in granted):
        return
    raise forbidden(f"this credential lacks the scope {scope}", f"该凭据缺少权限范围 {scope}")


# Dependencies are coroutines: FastAPI runs a plain ``def`` dependency in a worker thread, a
# thread hop per request for a one-line attribute read.
async def upstreams(request: Request) -> Upstreams:
    return request.app.state.upstreams  # type: ignore[no-any-return]


async def runtime_of(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def rate_limits_dep(request: Request) -> RateLimits:
    return rate_limits(request)


OptionalCallerDep = Annotated[Principal | None, Depends(optional_caller)]
CallerDep = Annotated[Principal, Depends(caller)]
AdminCallerDep = Annotated[Principal, Depends(admin_caller)]
UpstreamsDep = Annotated[Upstreams, Depends(upstreams)]
RateLimitsDep = Annotated[RateLimits, Depends(rate_limits_dep)]
RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_of)]
