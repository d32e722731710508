"""Appending many rows to a table inside the caller's transaction, the fastest way the dialect offers:
``COPY … FROM STDIN`` (binary, asyncpg ``copy_records_to_table``) on PostgreSQL, multi-row
``INSERT … VALUES`` through SQLAlchemy Core elsewhere (SQLite). One call, the dialect choosing.

Rows are dicts keyed by column name, with the Python values SQLAlchemy would bind (Decimal, date,
aware datetime, bool, lists/dicts for JSON columns).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLite allows 32,766 bound parameters per statement (3.32+); stay well below.
_SQLITE_PARAMETERS = 30_000


async def append_rows(
    session: AsyncSession | AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
) -> None:
    if not rows:
        return
    names = list(columns or rows[0].keys())
    connection = await session.connection() if isinstance(session, AsyncSession) else session
    if connection.dialect.name == "postgresql":
        await _copy(connection, table, rows, names)
        return
    per_statement = max(1, _SQLITE_PARAMETERS // len(names))
    for start in range(0, len(rows), per_statement):
        chunk = [{name: row[name] for name in names} for row in rows[start : start + per_statement]]
        await connection.execute(insert(table).values(chunk))


async def _copy(connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], names: list[str]) -> None:
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.is_in_transaction():
        # SQLAlchemy begins the asyncpg transaction lazily, on the first statement: begin it, or COPY
        # would commit on its own.
        await connection.execute(text("SELECT 1"))
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    if any(as_json):
        dumped: dict[int, str] = {}  # a value shared by many rows (a default) is serialised once

        def dump(value: Any) -> str:
            key = id(value)
            if key not in dumped:
                dumped[key] = json.dumps(value, ensure_ascii=False)
            return dumped[key]

        records = [tuple(dump(row[n]) if j else row[n] for n, j in zip(names, as_json, strict=True)) for row in rows]
    else:
        records = [tuple(row[n] for n in names) for row in rows]
    await driver.copy_records_to_table(table.name, records=records, columns=names, schema_name=table.schema)
