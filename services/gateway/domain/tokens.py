"""Signed access tokens (JWT, HS256, PyJWT): short-lived, issued to platforms (OAuth2 client
credentials) and to users who log in. Claims: iss, sub, role, tenant, name, scope, typ, iat, exp, jti."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from shared.identity import Principal, Role

ALGORITHM = "HS256"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    principal: Principal
    kind: str  # "client" (client credentials) | "user" (log-in)
    scopes: frozenset[str] | None
    expires_at: int


def issue_token(
    principal: Principal,
    kind: str,
    secret: str,
    issuer: str,
    ttl_seconds: int,
    scopes: frozenset[str] | None = None,
    now: float | None = None,
) -> tuple[str, int]:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": issuer,
        "sub": principal.subject,
        "role": principal.role.value,
        "tenant": principal.tenant,
        "name": principal.name,
        "typ": kind,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": secrets.token_hex(8),
    }
    if scopes is not None:
        claims["scope"] = " ".join(sorted(scopes))
    return jwt.encode(claims, secret, algorithm=ALGORITHM), issued + ttl_seconds


def verify_token(token: str, secret: str, issuer: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # never "none", never the header's choice
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
        principal = Principal(
            role=Role(claims["role"]), tenant=claims.get("tenant"), subject=claims["sub"], name=claims.get("name", "")
        )
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise TokenError(str(error)) from error
    scope = claims.get("scope")
    return TokenClaims(principal, claims.get("typ", ""), frozenset(scope.split()) if scope else None, claims["exp"])


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith("srdi_")
