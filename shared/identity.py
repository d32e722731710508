"""Who is calling: the principal the gateway authenticated, carried to services as a signed header.

The gateway strips any identity header arriving from outside, authenticates the caller (API key),
and forwards ``X-SRDI-Identity: <payload>.<signature>`` — base64url JSON signed with HMAC-SHA256
under ``SRDI_INTERNAL_SIGNING_KEY`` and valid for a few minutes. Every service verifies it before
trusting anything, so a service reached directly cannot be fooled by a hand-made header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Literal

IDENTITY_HEADER = "X-SRDI-Identity"
# Purpose scopes an API key may carry beyond its role. ``contact_data``: a platform may read
# enterprises' contact fields (phone, e-mail, legal representative) unmasked.
CONTACT_DATA = "contact_data"
Scope = Literal["contact_data"]
SCOPES: tuple[str, ...] = (CONTACT_DATA,)


class Role(StrEnum):
    ADMIN = "admin"
    PROVINCIAL_OPERATOR = "provincial_operator"
    PREFECTURE_OPERATOR = "prefecture_operator"  # tenant: 4-digit prefecture code (GB/T 2260), e.g. 5301
    OFFICER = "officer"  # one-to-one service officer (助企服务员); tenant: officer id
    ENTERPRISE = "enterprise"  # tenant: the enterprise's unified social credit code
    BANK = "bank"  # tenant: bank id
    PLATFORM = "platform"  # another government platform; tenant: platform id


@dataclass(frozen=True)
class Principal:
    role: Role
    tenant: str | None
    subject: str  # the key / user id, for audit
    name: str = ""
    scopes: tuple[str, ...] = ()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_province_wide(self) -> bool:
        return self.role in (Role.ADMIN, Role.PROVINCIAL_OPERATOR)


class IdentityError(Exception):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: str, key: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


def sign_identity(principal: Principal, key: str, ttl_seconds: int = 300, now: float | None = None) -> str:
    claims = asdict(principal) | {"exp": int((now or time.time()) + ttl_seconds)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_mac(payload, key)}"


def verify_identity(token: str, key: str, now: float | None = None) -> Principal:
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(signature, _mac(payload, key)):
        raise IdentityError("bad identity signature")
    try:
        claims = json.loads(_unb64(payload))
        if claims["exp"] < (now or time.time()):
            raise IdentityError("identity expired")
        return Principal(
            role=Role(claims["role"]),
            tenant=claims.get("tenant"),
            subject=claims["subject"],
            name=claims.get("name", ""),
            scopes=tuple(str(scope) for scope in claims.get("scopes", ())),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise IdentityError(f"malformed identity: {error}") from error
