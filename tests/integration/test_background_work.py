"""Background work fails loudly and never half-silently:

- the recognition-expiry loop survives an iteration's database error, and /readyz names it meanwhile;
- a job whose process is killed is not left "running": the next start fails it (imports) or
  resumes it (re-assessments);
- two registry replicas announce an expired recognition exactly once (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.eligibility.persistence.tables import ReassessmentJob
from services.registry.api.schemas import EnterpriseCreate, RecognitionIn
from services.registry.app import DEFINITION as REGISTRY
from services.registry.persistence.tables import ImportJob, Recognition
from services.registry.usecases import commands, jobs
from shared.events.catalogue import RecognitionExpired
from shared.jobs import INTERRUPTED
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import Backend, kafka_backend
from tests.support.builders import enterprise
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def backend(tmp_path: Path) -> Backend:  # SQLite and the in-process bus unless a test says otherwise
    from shared.events.inprocess import InProcessBus

    return Backend("embedded", f"sqlite+aiosqlite:///{tmp_path / 'srdi.db'}", None, InProcessBus())


async def register_with_expired_recognition(runtime: ServiceRuntime, serial: int) -> str:
    body = enterprise(serial)
    expired = RecognitionIn(tier="innovative_sme", level="provincial", valid_from=date(2020, 1, 1),
                            valid_to=date(2022, 12, 31))  # fmt: skip
    async with runtime.uow() as uow:
        await commands.register(uow, EnterpriseCreate.model_validate(body), recognitions=[expired])
        await uow.commit()
    return str(body["uscc"])


async def expiry_events(runtime: ServiceRuntime) -> list[dict[str, Any]]:
    outbox = runtime.definition.tables.outbox
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(outbox).where(outbox.c.type == RecognitionExpired.TYPE))).mappings()
        return [dict(r) for r in rows]


async def test_expiry_loop_survives_a_database_error_and_readyz_says_so(
    start_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = {"on": True}
    real = commands.expire_recognitions

    async def flaky(uow: Any, today: date) -> int:
        if failing["on"]:
            raise OperationalError("UPDATE recognition", {}, Exception("could not connect to server"))
        return await real(uow, today)

    monkeypatch.setattr(commands, "expire_recognitions", flaky)
    fast = {"registry_expiry_check_seconds": 0.05, "registry_demo_count": 0}
    registry = await start_runtime(REGISTRY, run_relay=False, settings=fast)
    health = registry.loops["recognition-expiry"]
    app = create_service_app(registry, manage_lifecycle=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
        await eventually(lambda: asyncio.sleep(0, health.consecutive_failures), lambda n: n >= 3, what="3 failures")
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert "loop:recognition-expiry" in not_ready.json()["detail"]

        uscc = await register_with_expired_recognition(registry, 7)
        failing["on"] = False  # the database is back: the same loop carries on
        events = await eventually(lambda: expiry_events(registry), lambda e: len(e) == 1, what="expiry announced")
        assert events[0]["subject"] == uscc
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["loop:recognition-expiry"] is True


async def test_an_import_whose_process_was_killed_is_failed_at_the_next_start(
    start_runtime: Any, backend: Backend
) -> None:
    job_id = str(uuid.uuid4())
    registry = await start_runtime(REGISTRY, run_relay=False, settings={"registry_demo_count": 0})
    async with registry.uow() as uow:
        uow.session.add(ImportJob(id=job_id, filename="companies.xlsx", dry_run=False, status="running",
                                  created_by="operator", created_at=datetime.now(UTC)))  # fmt: skip
        await uow.commit()

    doomed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.doomed_job", backend.database_url, job_id, stdout=asyncio.subprocess.PIPE
    )
    assert doomed.stdout is not None
    assert b"claimed" in await asyncio.wait_for(doomed.stdout.readline(), 60)
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()

    async def job() -> ImportJob | None:
        async with registry.uow() as uow:
            return await uow.session.get(ImportJob, job_id, populate_existing=True)

    left = await job()
    assert left is not None and left.status == "running" and left.claimed_by is not None  # as the dead process left it

    # A replica that starts now (stale after 0.5 s) finds the orphan and fails it with the reason.
    await start_runtime(REGISTRY, run_relay=False, settings={"registry_demo_count": 0, "job_stale_seconds": 0.5})
    failed = await eventually(job, lambda j: j is not None and j.status == "failed", what="orphan failed")
    assert failed is not None and failed.error == INTERRUPTED and failed.finished_at is not None


async def test_an_orphaned_reassessment_is_resumed_and_a_live_one_left_alone(start_runtime: Any) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    first = await start_runtime(ELIGIBILITY, run_relay=False)
    async with first.uow() as uow:
        for job_id, heartbeat in (("orphan", long_ago), ("alive", datetime.now(UTC) + timedelta(hours=1))):
            uow.session.add(ReassessmentJob(id=job_id, reason="rules changed", assessment_year=2025, status="running",
                                            total=0, processed=7, created_by="operator", created_at=long_ago,
                                            claimed_by="another-replica", heartbeat_at=heartbeat))  # fmt: skip
        await uow.commit()

    await start_runtime(ELIGIBILITY, run_relay=False, settings={"job_stale_seconds": 1})

    async def status(job_id: str) -> ReassessmentJob | None:
        async with first.uow() as uow:
            return await uow.session.get(ReassessmentJob, job_id, populate_existing=True)

    resumed = await eventually(lambda: status("orphan"), lambda j: j is not None and j.status == "done")
    assert resumed is not None and resumed.processed == 0 and resumed.error is None  # re-run from the start
    alive = await status("alive")
    assert alive is not None and alive.status == "running" and alive.claimed_by == "another-replica"


@pytest.mark.postgres
async def test_two_registry_replicas_announce_each_expiry_once(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    backend = kafka_backend(kafka_bootstrap, postgres_url)
    replicas: list[ServiceRuntime] = []
    for _ in range(2):
        settings = REGISTRY.settings_cls(**backend.settings().model_dump() | {"registry_demo_count": 0})
        runtime = ServiceRuntime(REGISTRY, settings, backend.new_bus(), run_relay=False, run_consumers=False)
        await runtime.migrate()
        replicas.append(runtime)
    try:
        usccs = [await register_with_expired_recognition(replicas[0], serial) for serial in range(1, 41)]
        counts = await asyncio.gather(*(jobs.announce_expired_recognitions(r) for r in replicas for _ in range(3)))
        assert sum(counts) == len(usccs)
        events = await expiry_events(replicas[0])
        assert sorted(e["subject"] for e in events) == sorted(usccs)  # each recognition once, none twice
        unannounced = select(func.count()).select_from(Recognition).where(col(Recognition.expired_announced).is_(False))
        async with replicas[1].engine.connect() as conn:
            assert await conn.scalar(unannounced) == 0
    finally:
        for runtime in replicas:
            await runtime.stop()
