"""Appending many rows to a table inside the caller's transaction, the fastest way the dialect offers:
``COPY … FROM STDIN`` (binary, asyncpg ``copy_records_to_table``) on PostgreSQL, multi-row
``INSERT … VALUES`` through SQLAlchemy Core elsewhere (SQLite). One call, the dialect choosing.

Rows are dicts keyed by column name, with the Python values SQLAlchemy would bind (Decimal, date,
aware datetime, bool, lists/dicts for JSON columns). ``constants``: columns with the same value in
every row (defaults), given once instead of in each row; on PostgreSQL a JSON constant is
serialised once for the whole call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLite allows 32,766 bound parameters per statement (3.32+); stay well below.
_SQLITE_PARAMETERS = 30_000
_to_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), built once


async def append_rows(
    session: AsyncSession | AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    constants: Mapping[str, Any] | None = None,
) -> None:
    if not rows:
        return
    constants = constants or {}
    names = [name for name in (columns or rows[0].keys()) if name not in constants]
    connection = await session.connection() if isinstance(session, AsyncSession) else session
    if connection.dialect.name == "postgresql":
        await _copy(connection, table, rows, names, constants)
        return
    per_statement = max(1, _SQLITE_PARAMETERS // (len(names) + len(constants)))
    for start in range(0, len(rows), per_statement):
        chunk = [{**{name: row[name] for name in names}, **constants} for row in rows[start : start + per_statement]]
        await connection.execute(insert(table).values(chunk))


async def _copy(connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], names: list[str],
                constants: Mapping[str, Any]) -> None:  # fmt: skip
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.is_in_transaction():
        # SQLAlchemy begins the asyncpg transaction lazily, on the first statement: begin it, or COPY
        # would commit on its own.
        await connection.execute(text("SELECT 1"))
    is_json = [isinstance(table.c[name].type, JSON) for name in names]
    tail = tuple(_to_json(v) if isinstance(table.c[n].type, JSON) else v for n, v in constants.items())
    get = itemgetter(*names)
    records: list[tuple[Any, ...]] = [(get(row),) for row in rows] if len(names) == 1 else list(map(get, rows))
    if any(is_json):
        at = [i for i, j in enumerate(is_json) if j]
        for index, record in enumerate(records):
            values = list(record)
            for i in at:
                values[i] = _to_json(values[i])
            records[index] = tuple(values)
    if tail:
        records = [record + tail for record in records]
    await driver.copy_records_to_table(
        table.name, records=records, columns=[*names, *constants], schema_name=table.schema
    )
