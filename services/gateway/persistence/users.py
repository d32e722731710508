"""Users who log in: created by administrators, passwords kept only as argon2id hashes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from services.gateway.domain.passwords import hash_password, needs_rehash, verify_password
from services.gateway.persistence.tables import GatewayUser
from shared.identity import Principal, Role
from shared.uow import UnitOfWork


def principal_of_user(user: GatewayUser) -> Principal:
    return Principal(role=Role(user.role), tenant=user.tenant, subject=f"user:{user.username}", name=user.name)


async def create_user(
    uow: UnitOfWork, username: str, password: str, role: Role, tenant: str | None, name: str
) -> GatewayUser:
    user = GatewayUser(
        username=username, password_hash=hash_password(password), role=role.value, tenant=tenant, name=name,
        created_at=datetime.now(UTC),
    )  # fmt: skip
    uow.session.add(user)
    await uow.commit()
    return user


async def find_user(uow: UnitOfWork, username: str) -> GatewayUser | None:
    return (await uow.session.exec(select(GatewayUser).where(GatewayUser.username == username))).first()


async def check_login(uow: UnitOfWork, username: str, password: str) -> GatewayUser | None:
    user = await find_user(uow, username)
    usable = user is not None and user.disabled_at is None
    ok = verify_password(password, user.password_hash if usable and user else None)
    if not ok or user is None or not usable:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        uow.session.add(user)
        await uow.commit()
    return user


async def active_user(uow: UnitOfWork, username: str) -> GatewayUser | None:
    user = await find_user(uow, username)
    return user if user is not None and user.disabled_at is None else None


async def list_users(uow: UnitOfWork) -> list[GatewayUser]:
    return list(await uow.session.exec(select(GatewayUser).order_by(col(GatewayUser.id))))


async def disable_user(uow: UnitOfWork, username: str) -> GatewayUser | None:
    user = await find_user(uow, username)
    if user is not None and user.disabled_at is None:
        user.disabled_at = datetime.now(UTC)
        uow.session.add(user)
        await uow.commit()
    return user
