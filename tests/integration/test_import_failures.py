"""Hostile files for the import (issue 8): each is refused — at upload (4xx) or as a failed job —
with 0 rows applied, a stated bilingual reason and no parser's own words, and leaves the register,
its outbox and every other service untouched."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from services.registry.domain.importing import HEADERS, MAX_SHARED_STRINGS_BYTES
from shared.identity import Role
from tests.integration.test_hostile_input_corpus import row_counts
from tests.support.builders import enterprise
from tests.support.platform import RunningPlatform, running_platform
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(random.Random(8).randrange(256) for _ in range(2000))
# What a parser says in its own words; a clerk should never read these.
PYTHON_WORDS = ("Error", "error:", "Traceback", "zip file", "File is not", "codec", "Errno", "line ", "object")


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, registry_import_dir=tmp_path / "imports") as running:
        yield running


def valid_workbook(rows: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS)
    for serial in range(rows):
        body = enterprise(700 + serial)
        sheet.append([body["name"], body["uscc"], None, None, body["county_code"], body["industry_code"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A workbook-shaped zip whose sheet expands 1000-fold to 40 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (40 << 20))
    return buffer.getvalue()


def shared_strings_bomb() -> bytes:
    """An otherwise valid workbook whose shared-strings part is oversized."""
    repeat = MAX_SHARED_STRINGS_BYTES // 16 + 1000
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * repeat
    return with_part(valid_workbook(), "xl/sharedStrings.xml", strings + b"</sst>")


HOSTILE_FILES: list[tuple[str, str, bytes, str]] = [  # label, file name, content, the reason's gist
    ("empty workbook", "empty.xlsx", b"", "empty"),
    ("empty CSV", "empty.csv", b"", "empty"),
    ("PNG renamed .xlsx", "photo.xlsx", PNG, "not an .xlsx workbook"),
    ("PNG renamed .csv", "photo.csv", PNG, "not a CSV"),
    ("random bytes behind a zip signature", "broken.xlsx", b"PK\x03\x04" + PNG, "not an .xlsx workbook"),
    ("old .xls renamed", "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + PNG, ".xls"),
    ("a zip that is no workbook", "archive.xlsx", with_part(b"PK\x05\x06" + b"\0" * 18, "readme.txt", b"hi"),
     "not an .xlsx workbook"),
    ("zip bomb", "bomb.xlsx", zip_bomb(), "zip bomb"),
    ("workbook with oversized shared strings", "strings.xlsx", shared_strings_bomb(), "shared strings"),
    ("workbook with a damaged sheet", "damaged.xlsx", with_part(valid_workbook(), "xl/worksheets/sheet1.xml", b"<<<"),
     "could not be read"),
    ("CSV in GBK", "gbk.csv", ",".join(HEADERS).encode("gbk") + "\n云南,1\n".encode("gbk"), "not UTF-8"),
]  # fmt: skip


async def finished(client: httpx.AsyncClient, status_url: str) -> dict[str, Any]:
    async def status() -> dict[str, Any]:
        return (await client.get(status_url)).json()  # type: ignore[no-any-return]

    return await eventually(status, lambda job: job["status"] in ("done", "failed"), what="the import to finish")


def business_counts(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if not k.startswith(("registry.import_job", "registry.import_problem"))}


async def test_every_hostile_file_fails_with_a_stated_reason_and_changes_nothing(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    before = business_counts(await row_counts(platform))
    failures = []
    for label, filename, content, gist in HOSTILE_FILES:
        started = await admin.post("/api/v1/registry/imports",
                                   files={"file": (filename, content, "application/octet-stream")})  # fmt: skip
        if started.status_code != 202:
            if not (400 <= started.status_code < 500 and started.headers["content-type"] == "application/problem+json"):
                failures.append(f"{label}: upload answered {started.status_code}")
            continue
        job = await finished(admin, started.json()["status_url"])
        reason = job["error"] or ""
        zh, _, en = reason.partition(" / ")
        if job["status"] != "failed" or job["applied_rows"] != 0:
            failures.append(f"{label}: {job['status']}, {job['applied_rows']} rows applied")
        elif not (any("\u4e00" <= c <= "\u9fff" for c in zh) and gist in en) or any(w in reason for w in PYTHON_WORDS):
            failures.append(f"{label}: reason {reason!r}")
        if business_counts(await row_counts(platform)) != before:
            failures.append(f"{label}: state changed")
    assert not failures, "\n".join(failures)


async def test_a_disallowed_file_type_is_refused_at_upload(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    response = await admin.post(
        "/api/v1/registry/imports", files={"file": ("tool.exe", PNG, "application/x-msdownload")}
    )
    assert response.status_code == 415 and response.json()["title_zh"]
