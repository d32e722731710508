"""Officer assignment: exactly one active officer per enterprise, with history kept.

Every change closes the open assignment row, opens a new one and emits ``officer.assigned`` in the
same transaction, so registry and eligibility project it (and let the officer read).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import col, select

from services.notifications.domain.assignment import OfficerLoad, choose_officer
from services.notifications.persistence.tables import Assignment, Officer
from shared.events.catalogue import OfficerAssigned
from shared.uow import UnitOfWork


async def active_assignment(uow: UnitOfWork, uscc: str) -> Assignment | None:
    query = select(Assignment).where(Assignment.uscc == uscc, col(Assignment.ended_at).is_(None))
    return (await uow.session.exec(query)).first()


async def loads(uow: UnitOfWork, prefecture_code: str) -> list[OfficerLoad]:
    officers = list(
        await uow.session.exec(
            select(Officer).where(Officer.prefecture_code == prefecture_code, col(Officer.active).is_(True))
        )
    )
    if not officers:
        return []
    counts = dict(
        (
            await uow.session.execute(
                select(Assignment.officer_id, func.count())
                .where(col(Assignment.officer_id).in_([o.id for o in officers]), col(Assignment.ended_at).is_(None))
                .group_by(Assignment.officer_id)
            )
        ).all()
    )
    return [OfficerLoad(o.id, o.capacity, int(counts.get(o.id, 0))) for o in officers]


async def assign(
    uow: UnitOfWork,
    uscc: str,
    prefecture_code: str,
    officer_id: str,
    *,
    reason: str,
    assigned_by: str,
    now: datetime | None = None,
) -> Assignment | None:
    """Make ``officer_id`` the enterprise's active officer (a no-op when it already is)."""
    now = now or datetime.now(UTC)
    current = await active_assignment(uow, uscc)
    if current is not None and current.officer_id == officer_id:
        return None
    previous = current.officer_id if current is not None else None
    if current is not None:
        current.ended_at = now
        uow.session.add(current)
        await uow.session.flush()  # the open row closes before the new one opens (one active per enterprise)
    row = Assignment(uscc=uscc, officer_id=officer_id, prefecture_code=prefecture_code, reason=reason,
                     assigned_by=assigned_by, assigned_at=now)  # fmt: skip
    uow.session.add(row)
    await uow.session.flush()
    uow.emit(OfficerAssigned(uscc=uscc, officer_id=officer_id, previous_officer_id=previous,
                             prefecture_code=prefecture_code, assigned_at=now))  # fmt: skip
    return row


async def assign_automatically(
    uow: UnitOfWork, uscc: str, prefecture_code: str, *, reason: str = "auto", exclude: str | None = None
) -> Assignment | None:
    """Assign by prefecture and load. Keeps a current officer of the right prefecture."""
    current = await active_assignment(uow, uscc)
    if current is not None and current.prefecture_code == prefecture_code and current.officer_id != exclude:
        return None
    chosen = choose_officer(await loads(uow, prefecture_code), exclude=exclude)
    if chosen is None:
        return None
    return await assign(uow, uscc, prefecture_code, chosen.officer_id, reason=reason, assigned_by="system")


async def release_officer(uow: UnitOfWork, officer_id: str) -> int:
    """An officer leaving the roster: each of their enterprises goes to another officer of the prefecture."""
    moved = 0
    query = select(Assignment).where(Assignment.officer_id == officer_id, col(Assignment.ended_at).is_(None))
    for row in list(await uow.session.exec(query)):
        if await assign_automatically(uow, row.uscc, row.prefecture_code, reason="officer_inactive",
                                      exclude=officer_id) is not None:  # fmt: skip
            moved += 1
    return moved


async def history(uow: UnitOfWork, uscc: str) -> list[Assignment]:
    query = select(Assignment).where(Assignment.uscc == uscc).order_by(col(Assignment.assigned_at), col(Assignment.id))
    return list(await uow.session.exec(query))
