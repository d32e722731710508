"""The regression corpus for hostile input (issue 8), run through the gateway against every write
operation of the merged OpenAPI — so an operation added later is covered without touching this file.

Every input must get a clear 4xx problem (problem+json, zh + en, request id, the field named where
one field was mutated), never a 5xx, and leave no trace: the row counts of every table of every
service (outboxes included) are the same after each refusal as before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from shared.identity import Role
from tests.support.hostile import HostileCase, corpus, unbounded_strings
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as running:
        yield running


AUDIT_TABLES = frozenset({"gateway.audit_entry"})


async def row_counts(platform: RunningPlatform) -> dict[str, int]:
    """Rows in every table of every service, in one query per database."""
    counts: dict[str, int] = {}
    for name, runtime in platform.platform.runtimes.items():
        tables = [t.name for t in runtime.definition.metadata.sorted_tables]
        select = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
        async with runtime.engine.connect() as conn:
            row = (await conn.execute(text(f"SELECT {select}"))).one()
        counts |= {f"{name}.{t}": int(n) for t, n in zip(tables, row, strict=True)}
    # The gateway's audit log records every write attempt, refused ones included: that is its job.
    return {k: v for k, v in counts.items() if k not in AUDIT_TABLES}


def refusal_problems(case: HostileCase, status: int, headers: Any, body: Any) -> list[str]:
    wrong = []
    if not 400 <= status < 500:
        wrong.append(f"status {status}")
        return wrong
    if headers.get("content-type") != "application/problem+json":
        wrong.append(f"content-type {headers.get('content-type')}")
        return wrong
    for key in ("title", "title_zh", "detail", "detail_zh", "request_id", "status", "type"):
        if not body.get(key):
            wrong.append(f"no {key}")
    if body.get("request_id") != headers.get("x-request-id"):
        wrong.append("request id differs from X-Request-ID")
    if case.field is not None:
        fields = [e.get("field", "") for e in body.get("errors", [])]
        if not any(f == case.field or f.startswith((case.field + ".", case.field + "[")) for f in fields):
            wrong.append(f"field {case.field} not named (errors name {fields[:6]})")
        for error in body.get("errors", []):
            if not error.get("message") or not error.get("message_zh"):
                wrong.append(f"error without both languages: {error}")
    return wrong


async def test_every_write_operation_refuses_the_hostile_corpus_cleanly(platform: RunningPlatform) -> None:
    admin = await platform.client(Role.ADMIN)
    document = (await platform.gateway.get("/openapi.json")).json()
    cases = corpus(document)
    assert len(cases) >= 200, len(cases)
    operations = {c.operation for c in cases}
    assert len(operations) >= 10, operations

    failures: list[str] = []
    statuses: Counter[int] = Counter()
    before = await row_counts(platform)
    for case in cases:
        response = await admin.request(
            case.method, case.path, content=case.content, headers={"content-type": case.content_type, **case.headers}
        )
        statuses[response.status_code] += 1
        try:
            body = response.json()
        except ValueError:
            body = {}
        wrong = refusal_problems(case, response.status_code, response.headers, body)
        after = await row_counts(platform)
        if after != before:
            changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
            wrong.append(f"state changed: {changed}")
            before = after
        if wrong:
            failures.append(f"{case.label}: {'; '.join(wrong)} — {response.text[:200]}")
    print(f"\nhostile corpus: {len(cases)} inputs on {len(operations)} write operations; statuses {dict(statuses)}")
    assert not failures, f"{len(failures)} of {len(cases)} inputs not refused cleanly:\n" + "\n".join(failures[:40])
    assert not any(status >= 500 for status in statuses)


async def test_every_text_field_of_every_write_operation_has_a_length_limit(platform: RunningPlatform) -> None:
    document = (await platform.gateway.get("/openapi.json")).json()
    unbounded = unbounded_strings(document)
    assert unbounded == [], "\n".join(unbounded)


async def test_every_operation_documents_its_problem_responses(platform: RunningPlatform) -> None:
    document = (await platform.gateway.get("/openapi.json")).json()
    problem = document["components"]["schemas"]["Problem"]
    assert {"title", "title_zh", "detail", "detail_zh", "request_id", "errors"} <= set(problem["properties"])
    undocumented = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status in ("401", "403", "404", "409", "412", "422", "428", "429"):
                content = operation["responses"].get(status, {}).get("content", {})
                if content.get("application/problem+json", {}).get("schema") != {
                    "$ref": "#/components/schemas/Problem"
                }:
                    undocumented.append(f"{method.upper()} {path} {status}")
                if "application/json" in content:
                    undocumented.append(f"{method.upper()} {path} {status} also as application/json")
    assert undocumented == []
