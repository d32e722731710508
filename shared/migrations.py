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
