"""The audit log: one row per write through the gateway, read back by administrators."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from services.gateway.persistence.tables import AuditEntry
from shared.uow import UnitOfWork


async def record(uow: UnitOfWork, entry: AuditEntry) -> None:
    uow.session.add(entry)
    await uow.commit()


def new_entry(
    subject: str, role: str | None, tenant: str | None, method: str, path: str, status: int, request_id: str,
    client: str | None,
) -> AuditEntry:  # fmt: skip
    return AuditEntry(
        at=datetime.now(UTC), subject=subject, role=role, tenant=tenant, method=method, path=path[:500],
        status=status, request_id=request_id, client=client,
    )  # fmt: skip


async def page(
    uow: UnitOfWork, after: int | None, limit: int, subject: str | None = None, tenant: str | None = None
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if after is not None:
        query = query.where(col(AuditEntry.id) < after)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    if tenant:
        query = query.where(AuditEntry.tenant == tenant)
    return list(await uow.session.exec(query))
