"""Alembic, driven programmatically: each service has its own ``migrations/`` folder and database.

``upgrade`` runs inside an async connection (Alembic's connection-sharing recipe), so the same code
works from ``srdi migrate``, from a service starting up, and from tests. On PostgreSQL an advisory
lock keeps replicas that start together from migrating at the same time.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def _config(migrations_dir: Path, connection: Connection, metadata: MetaData) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    config.attributes["target_metadata"] = metadata
    return config


async def upgrade(engine: AsyncEngine, migrations_dir: Path, metadata: MetaData, service: str) -> None:
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(service.encode())})
        await conn.run_sync(lambda sync: command.upgrade(_config(migrations_dir, sync, metadata), "head"))


async def make_revision(engine: AsyncEngine, migrations_dir: Path, metadata: MetaData, message: str) -> None:
    """Autogenerate a revision against the database (development tool: ``srdi make-migration``)."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: command.revision(_config(migrations_dir, sync, metadata), message=message, autogenerate=True)
        )


def run_env() -> None:
    """Body of every service's ``migrations/env.py``."""
    connection: Any = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes["target_metadata"],
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# --- the messaging tables: one migration step every service's first migration calls --------------


def upgrade_messaging() -> None:
    """Create the outbox, inbox, dead-letter and idempotency tables (``shared.events.tables``).

    Called from each service's messaging migration (``op`` is the migration's Alembic context), so the
    schema of these tables is written once for every service.
    """
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "dead_letter",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "principal"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
        batch_op.create_index(
            "ix_outbox_subject_pending",
            ["subject", "id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
        )


def downgrade_messaging() -> None:
    """Drop what :func:`upgrade_messaging` created."""
    import sqlalchemy as sa
    from alembic import op

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_subject_pending", postgresql_where=sa.text("published_at IS NULL"))
        batch_op.drop_index(
            "ix_outbox_pending",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("idempotency_key")
    op.drop_table("dead_letter")


def add_job_claims(table: str) -> None:
    """A job table's claim columns (``shared.jobs``): the process running it and its last heartbeat."""
    import sqlalchemy as sa
    from alembic import op
    from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", UTCDateTime(), nullable=True))


def drop_job_claims(table: str) -> None:
    from alembic import op

    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("claimed_by")
