"""The officer-assignment projection other services keep (fed by ``officer.assigned`` events).

The notifications service owns the roster and the assignments; a service that must let an officer
read "their" enterprises (registry, eligibility) keeps this small table of its own, filled from the
events, never by calling notifications. ``shared.tenancy`` then lets the officer named here read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, select

from shared.events.catalogue.notifications import OfficerAssigned
from shared.events.consumer import EventHandler
from shared.events.envelope import Envelope
from shared.identity import Principal, Role
from shared.uow import UnitOfWork


def officer_assignment_table(metadata: MetaData) -> Table:
    return Table(
        "officer_assignment",
        metadata,
        Column("uscc", String(18), primary_key=True),
        Column("officer_id", String(64), nullable=False, index=True),
        Column("prefecture_code", String(4), nullable=False),
        Column("assigned_at", DateTime(timezone=True), nullable=False),
    )


def officer_projection_handler(table: Table) -> EventHandler:
    """A handler that keeps ``table`` at the latest assignment per enterprise (older events ignored)."""

    async def project(envelope: Envelope, uow: UnitOfWork) -> None:
        event = OfficerAssigned.model_validate(envelope.data)
        current = (await uow.session.execute(select(table).where(table.c.uscc == event.uscc))).mappings().first()
        values = {"officer_id": event.officer_id, "prefecture_code": event.prefecture_code,
                  "assigned_at": event.assigned_at}  # fmt: skip
        if current is None:
            await uow.session.execute(table.insert().values(uscc=event.uscc, **values))
        elif _aware(current["assigned_at"]) <= _aware(event.assigned_at):
            await uow.session.execute(table.update().where(table.c.uscc == event.uscc).values(**values))

    return project


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def assigned_officer(uow: UnitOfWork, table: Table, principal: Principal, uscc: str) -> str | None:
    """The officer of ``uscc`` when the caller is an officer (None otherwise: no query for other roles)."""
    if principal.role is not Role.OFFICER:
        return None
    officer: str | None = await uow.session.scalar(select(table.c.officer_id).where(table.c.uscc == uscc.upper()))
    return officer
