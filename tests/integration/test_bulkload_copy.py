"""``shared.bulkload.append_rows`` on PostgreSQL writes COPY's text format itself: every kind of value
it is given must read back exactly as asyncpg's binary COPY of the same rows reads back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, Integer, MetaData, Numeric, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.schema import CreateTable

from shared.bulkload import append_rows, copy_field, copy_text

pytestmark = pytest.mark.asyncio(loop_scope="session")

COLUMNS: list[Column[Any]] = [
    Column("name", Text), Column("count", Integer), Column("amount", Numeric(20, 2)), Column("share", Numeric(8, 6)),
    Column("flag", Boolean), Column("day", Date), Column("at", DateTime(timezone=True)), Column("ratio", Float),
    Column("doc", JSON), Column("kind", Text),
]  # fmt: skip

AWKWARD_TEXT = [
    "plain", "", " leading and trailing ", "tab\there", "new\nline", "carriage\rreturn", "back\\slash",
    "\\N", "\\.", "昆明市五华区（云南）有限公司", "quote\"d and 'single'", "emoji 🧧", "\\\\t not a tab",
]  # fmt: skip


def rows() -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    for index, name in enumerate(AWKWARD_TEXT):
        made.append({
            "name": name, "count": [0, -1, 2**31 - 1, None][index % 4],
            "amount": [Decimal("12345678901234.56"), Decimal("-0.01"), Decimal("1E+3"), Decimal("0"), None,
                       7][index % 6],
            "share": [Decimal("0.123456"), Decimal("1"), None][index % 3], "flag": [True, False, None][index % 3],
            "day": [date(2006, 3, 24), date(1, 1, 1), None][index % 3],
            "at": [datetime(2026, 12, 3, 13, 55, 1, 123456, tzinfo=UTC),
                   datetime(2024, 2, 29, 23, 59, tzinfo=timezone(timedelta(hours=8))), None][index % 3],
            "ratio": [0.1, -2.5e-300, None][index % 3],
            "doc": [{"k": name, "nested": [1, "\\", "\t\n"]}, [], None, "text"][index % 4],
            "kind": str(uuid.UUID(int=index)),
        })  # fmt: skip
    return made


@pytest.fixture
async def connection(postgres_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as opened:
            yield opened
            await opened.rollback()
    finally:
        await engine.dispose()


def table(name: str) -> Table:
    return Table(name, MetaData(), *(Column(column.name, column.type) for column in COLUMNS), prefixes=["TEMPORARY"])


async def read(connection: AsyncConnection, target: Table) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await connection.execute(select(target).order_by(target.c.kind))]


async def test_text_copy_reads_back_as_the_binary_copy_does(connection: AsyncConnection,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    by_text, by_binary = table("copy_text"), table("copy_binary")
    for target in (by_text, by_binary):
        await connection.execute(CreateTable(target))
    given = rows()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    with monkeypatch.context() as patched:  # the text way, or fail
        patched.setattr(type(driver), "copy_records_to_table", None)
        await append_rows(connection, by_text, given)
    names = [column.name for column in COLUMNS]
    encoded = [tuple(json.dumps(v, ensure_ascii=False) if n == "doc" else v for n, v in row.items()) for row in given]
    await driver.copy_records_to_table(by_binary.name, records=encoded, columns=names)
    written, expected = await read(connection, by_text), await read(connection, by_binary)
    assert len(written) == len(given)
    assert written == expected
    assert [row[0] for row in written] == [row["name"] for row in sorted(given, key=lambda r: r["kind"])]


async def test_constants_and_a_naive_datetime_take_the_binary_way_with_the_same_result(
    connection: AsyncConnection,
) -> None:
    target = table("copy_naive")
    await connection.execute(CreateTable(target))
    naive = datetime(2026, 12, 3, 8, 0)
    given = [{"name": f"row {i}", "kind": str(i), "at": naive if i == 1 else None} for i in range(3)]
    await append_rows(connection, target, given, constants={"doc": {"默认": True}, "count": 7})
    stored = await read(connection, target)
    assert [(row[0], row[1], row[8]) for row in stored] == [(f"row {i}", 7, {"默认": True}) for i in range(3)]
    # asyncpg reads a naive datetime as UTC; the text form would have depended on the session's zone
    assert stored[1][6] == naive.replace(tzinfo=UTC)


async def test_copy_text_reads_back_the_bytes_it_was_given(connection: AsyncConnection) -> None:
    """``copy_text`` takes values that are UTF-8 already (serialised events): through ``copy_field``,
    every awkward value reads back as it was, beside the constants."""
    target = table("copy_bytes")
    await connection.execute(CreateTable(target))
    given = [(str(index), text.encode()) for index, text in enumerate(AWKWARD_TEXT)]
    lines = [copy_field(kind.encode()) + b"\t" + copy_field(name) for kind, name in given]
    at = datetime(2026, 12, 3, 13, 55, 1, 123456, tzinfo=UTC)
    await copy_text(connection, target, ["kind", "name"], lines, constants={"count": 7, "at": at, "doc": {"默认": 1}})
    stored = await connection.execute(select(target.c.kind, target.c.name, target.c.count, target.c.at, target.c.doc))
    assert sorted(tuple(row) for row in stored) == sorted((k, n.decode(), 7, at, {"默认": 1}) for k, n in given)
