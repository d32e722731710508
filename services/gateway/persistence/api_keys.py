"""Reading and writing API keys."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from services.gateway.domain.api_keys import NewKey, generate_key, matches, prefix_of
from services.gateway.persistence.tables import ApiKey
from shared.identity import Principal, Role
from shared.uow import UnitOfWork


async def create_key(
    uow: UnitOfWork, role: Role, tenant: str | None, name: str, scopes: list[str] | None = None
) -> tuple[ApiKey, NewKey]:
    new_key = generate_key()
    row = ApiKey(
        prefix=new_key.prefix,
        key_hash=new_key.key_hash,
        role=role.value,
        tenant=tenant,
        name=name,
        scopes=" ".join(scopes or []),
        created_at=datetime.now(UTC),
    )
    uow.session.add(row)
    await uow.commit()
    return row, new_key


async def authenticate(uow: UnitOfWork, plaintext: str) -> Principal | None:
    prefix = prefix_of(plaintext)
    if prefix is None:
        return None
    row = (await uow.session.exec(select(ApiKey).where(ApiKey.prefix == prefix))).first()
    if row is None or row.revoked_at is not None or not matches(plaintext, row.key_hash):
        return None
    return Principal(role=Role(row.role), tenant=row.tenant, subject=f"key:{row.prefix}", name=row.name,
                     scopes=tuple((row.scopes or "").split()))  # fmt: skip
