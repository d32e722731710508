"""Appending many rows to a table inside the caller's transaction, the fastest way the dialect offers:
``COPY … FROM STDIN`` on PostgreSQL, multi-row ``INSERT … VALUES`` through SQLAlchemy Core elsewhere
(SQLite). One call, the dialect choosing.

Rows are dicts keyed by column name, with the Python values SQLAlchemy would bind (Decimal, date,
aware datetime, bool, lists/dicts for JSON columns). ``constants``: columns with the same value in
every row (defaults), given once instead of in each row; on PostgreSQL a constant is encoded once
for the whole call.

On PostgreSQL the rows go in COPY's text format, written here: each value's text is what PostgreSQL
reads back as the same value (``str`` of an int or a Decimal, ISO 8601 for dates and aware times,
``t``/``f``). Measured on 100,000 financial-report rows, that is about a fifth of the client CPU of
asyncpg's binary ``copy_records_to_table``, which encodes value by value (a ``Decimal.as_tuple()``
per number); PostgreSQL's own parse of the text runs on its core, beside ours. A value whose text
form is not certain to mean the same (a naive datetime, whose reading would depend on the session's
time zone; bytes; anything unforeseen) sends the whole call the binary way instead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLite allows 32,766 bound parameters per statement (3.32+); stay well below.
_SQLITE_PARAMETERS = 30_000
_to_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), built once
_NULL = "\\N"


class _NotText(Exception):
    """A value COPY's text format is not used for (the call goes the binary way)."""


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_field(value: bytes) -> bytes:
    """A UTF-8 value as a field of COPY's text format (its specials escaped; bytes' own search finds
    none in most values, and then the value is the field)."""
    if b"\\" in value or b"\t" in value or b"\n" in value or b"\r" in value:
        return value.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return value


_AS_STR = frozenset({int, Decimal, uuid.UUID, date})  # str() is the text PostgreSQL reads back
_BOOLS = {True: "t", False: "f"}


def _column_text(values: Sequence[Any]) -> list[str]:
    """One column's values as COPY's text format writes them, converted a column at a time (one
    C-level pass where the column holds one kind of value, as it does)."""
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if not kinds:
        return [_NULL] * len(values)
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is None:
        if not kinds <= _AS_STR:  # int beside Decimal is fine; anything else mixed goes the binary way
            raise _NotText("mixed kinds")
        convert: Any = str
    elif kind is str:
        joined = "".join(filter(None, values))  # str's own search (memchr) finds no special far faster than a regex
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            convert = _escaped
        else:
            return [_NULL if v is None else v for v in values] if nulls else list(values)
    elif kind in _AS_STR:
        convert = str
    elif kind is bool:
        convert = _BOOLS.__getitem__
    elif kind is datetime:
        distinct = set(values)
        distinct.discard(None)
        if any(v.utcoffset() is None for v in distinct):
            raise _NotText("a naive datetime")
        # a batch's rows share a handful of times (the transaction's): each written once
        convert = {v: v.isoformat() for v in distinct}.__getitem__
    elif kind is float:
        convert = repr
    else:
        raise _NotText(kind.__name__)
    if nulls:
        return [_NULL if v is None else convert(v) for v in values]
    return list(map(convert, values))


async def append_rows(
    session: AsyncSession | AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    constants: Mapping[str, Any] | None = None,
    lines: Sequence[str] | None = None,
) -> None:
    """``lines``: the rows' COPY text over ``columns`` less ``constants``, made ahead by ``copy_lines``
    (used on PostgreSQL; the rows themselves elsewhere)."""
    if not rows:
        return
    constants = constants or {}
    names = [name for name in (columns or rows[0].keys()) if name not in constants]
    connection = await session.connection() if isinstance(session, AsyncSession) else session
    if connection.dialect.name == "postgresql":
        await _copy(connection, table, rows, names, constants, lines)
        return
    per_statement = max(1, _SQLITE_PARAMETERS // (len(names) + len(constants)))
    for start in range(0, len(rows), per_statement):
        chunk = [{**{name: row[name] for name in names}, **constants} for row in rows[start : start + per_statement]]
        await connection.execute(insert(table).values(chunk))


def copy_lines(table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[str] | None:
    """Each row's line of COPY text over ``columns`` (without its line break), for ``append_rows`` to
    send later — worked out where there is time to spare (an import's reader, beside the writer);
    None when a value has no certain text form."""
    if not rows:
        return []
    try:
        return _lines(_columns(table, rows, list(columns)))
    except _NotText:
        return None


def _columns(table: Table, rows: Sequence[Mapping[str, Any]], names: list[str]) -> list[Sequence[Any]]:
    """The rows' values a column at a time, JSON columns serialised."""
    get = itemgetter(*names)
    records: list[tuple[Any, ...]] = [(get(row),) for row in rows] if len(names) == 1 else list(map(get, rows))
    return [list(map(_to_json, column)) if isinstance(table.c[name].type, JSON) else column
            for name, column in zip(names, zip(*records, strict=True), strict=True)]  # fmt: skip


def _lines(columns: Sequence[Sequence[Any]]) -> list[str]:
    return list(map("\t".join, zip(*map(_column_text, columns), strict=True)))


async def _copy(connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], names: list[str],
                constants: Mapping[str, Any], lines: Sequence[str] | None) -> None:  # fmt: skip
    driver = await _driver_in_transaction(connection)
    serialised = {n: _to_json(v) if isinstance(table.c[n].type, JSON) else v for n, v in constants.items()}
    tail = tuple(serialised.values())
    columns = [*names, *constants]
    try:
        suffix = "".join("\t" + _column_text((value,))[0] for value in tail)
        if lines is None:
            lines = _lines(_columns(table, rows, names))
    except _NotText:
        records = list(zip(*_columns(table, rows, names), strict=True))
        await driver.copy_records_to_table(
            table.name, records=[record + tail for record in records] if tail else records, columns=columns,
            schema_name=table.schema,
        )  # fmt: skip
        return
    end = suffix + "\n"
    await driver.copy_to_table(table.name, source=_whole((end.join(lines) + end).encode()), columns=columns,
                               schema_name=table.schema, format="text")  # fmt: skip


async def copy_text(connection: AsyncConnection, table: Table, columns: Sequence[str], lines: Sequence[bytes],
                    constants: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    """PostgreSQL only: rows already written as COPY text over ``columns`` (UTF-8, each field through
    ``copy_field``; without the line break), with ``constants`` after them on every line — for values
    that are bytes already (serialised events), which ``append_rows`` would have to decode first."""
    if connection.dialect.name != "postgresql":
        raise ValueError("COPY text is for PostgreSQL; use append_rows")
    if not lines:
        return
    constants = constants or {}
    serialised = [_to_json(v) if isinstance(table.c[n].type, JSON) else v for n, v in constants.items()]
    end = ("".join("\t" + _column_text((value,))[0] for value in serialised) + "\n").encode()
    driver = await _driver_in_transaction(connection)
    await driver.copy_to_table(table.name, source=_whole(end.join(lines) + end), columns=[*columns, *constants],
                               schema_name=table.schema, format="text")  # fmt: skip


async def _driver_in_transaction(connection: AsyncConnection) -> Any:
    """The asyncpg connection under ``connection``, its transaction begun: SQLAlchemy begins it lazily,
    on the first statement, and COPY outside one would commit on its own."""
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.is_in_transaction():
        await connection.execute(text("SELECT 1"))
    return driver


async def _whole(data: bytes) -> AsyncIterator[bytes]:
    """The data in one piece: asyncpg reads a file-like source 512 kB at a time, each read a hop
    through a thread pool (and, beside a busy thread, a wait for the GIL)."""
    yield data
