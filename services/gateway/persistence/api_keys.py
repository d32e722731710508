"""Reading and writing API keys: issue (shown once), authenticate, list, rotate, revoke."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from services.gateway.domain.api_keys import NewKey, generate_key, matches, prefix_of
from services.gateway.persistence.tables import ApiKey
from shared.identity import SCOPES, Principal, Role
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    scopes: frozenset[str] | None  # None: everything the role may do
    credential: str  # "api_key" | "client_token" | "user_token"
    expires_at: datetime | None = None  # when the credential stops working by itself (None: never)


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def key_active(row: ApiKey, now: datetime) -> bool:
    expires_at = aware(row.expires_at)
    return row.revoked_at is None and (expires_at is None or expires_at > now)


def access_scopes(scopes: Iterable[str] | None) -> frozenset[str] | None:
    """The scopes that limit access (``<service>:read|write``, ``*``); None when there are none, which
    means the role's full reach. Purpose scopes never limit access."""
    limiting = frozenset(scope for scope in scopes or () if scope not in SCOPES)
    return limiting or None


def purpose_scopes(scopes: Iterable[str] | None) -> tuple[str, ...]:
    """The purpose scopes (``contact_data`` …) that travel to services in the signed identity."""
    return tuple(sorted(scope for scope in scopes or () if scope in SCOPES))


def parse_scopes(scopes: str | None) -> frozenset[str] | None:
    return access_scopes(scopes.split() if scopes else None)


async def create_key(
    uow: UnitOfWork,
    role: Role,
    tenant: str | None,
    name: str,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, NewKey]:
    new_key = generate_key()
    row = ApiKey(
        prefix=new_key.prefix,
        key_hash=new_key.key_hash,
        role=role.value,
        tenant=tenant,
        name=name,
        created_at=datetime.now(UTC),
        scopes=" ".join(sorted(set(scopes))) if scopes else None,
        expires_at=expires_at,
    )
    uow.session.add(row)
    await uow.commit()
    return row, new_key


def principal_of(row: ApiKey) -> Principal:
    return Principal(
        role=Role(row.role),
        tenant=row.tenant,
        subject=f"key:{row.prefix}",
        name=row.name,
        scopes=purpose_scopes(row.scopes.split() if row.scopes else None),
    )


async def authenticate(uow: UnitOfWork, plaintext: str) -> Authenticated | None:
    prefix = prefix_of(plaintext)
    if prefix is None:
        return None
    row = (await uow.session.exec(select(ApiKey).where(ApiKey.prefix == prefix))).first()
    if row is None or not matches(plaintext, row.key_hash) or not key_active(row, datetime.now(UTC)):
        return None
    return Authenticated(principal_of(row), parse_scopes(row.scopes), "api_key", aware(row.expires_at))


async def active_key(uow: UnitOfWork, prefix: str) -> ApiKey | None:
    row = (await uow.session.exec(select(ApiKey).where(ApiKey.prefix == prefix))).first()
    return row if row is not None and key_active(row, datetime.now(UTC)) else None


async def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    return list(await uow.session.exec(select(ApiKey).order_by(col(ApiKey.id))))


async def rotate_key(uow: UnitOfWork, prefix: str, overlap: timedelta) -> tuple[ApiKey, NewKey] | None:
    """A new key with the same role, tenant, scopes and expiry; the old one works ``overlap`` longer."""
    row = await active_key(uow, prefix)
    if row is None:
        return None
    now = datetime.now(UTC)
    new_key = generate_key()
    replacement = ApiKey(
        prefix=new_key.prefix, key_hash=new_key.key_hash, role=row.role, tenant=row.tenant, name=row.name,
        created_at=now, scopes=row.scopes, expires_at=row.expires_at,
    )  # fmt: skip
    old_expiry = aware(row.expires_at)
    row.expires_at = min(old_expiry, now + overlap) if old_expiry else now + overlap
    row.replaced_by = new_key.prefix
    uow.session.add(row)
    uow.session.add(replacement)
    await uow.commit()
    return replacement, new_key


async def revoke_key(uow: UnitOfWork, prefix: str) -> ApiKey | None:
    row = (await uow.session.exec(select(ApiKey).where(ApiKey.prefix == prefix))).first()
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        uow.session.add(row)
        await uow.commit()
    return row
