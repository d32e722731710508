"""Async database engines: SQLite (aiosqlite) for the embedded mode, PostgreSQL (asyncpg) distributed.

Every service owns its database. From one base URL (``SRDI_DATABASE_URL``) each service derives its
own: ``…/srdi`` becomes ``…/srdi_registry`` on PostgreSQL and ``var/srdi_registry.db`` on SQLite.
``SRDI_<SERVICE>_DATABASE_URL`` overrides the derivation for one service.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def service_database_url(base_url: str, service: str) -> str:
    explicit = os.environ.get(f"SRDI_{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    url = make_url(base_url)
    if is_sqlite(url):
        path = Path(url.database or "srdi.db")
        return str(url.set(database=str(path.with_name(f"{path.stem}_{service}{path.suffix or '.db'}"))))
    return url.set(database=f"{url.database or 'srdi'}_{service}").render_as_string(hide_password=False)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the relay read while a handler writes; busy_timeout makes writers queue instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after commit (no lazy loads under asyncio).
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ensure_database_exists(url: str) -> None:
    """Create the service's PostgreSQL database if missing (SQLite creates its file by itself)."""
    if is_sqlite(url):
        return
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await admin.dispose()


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
