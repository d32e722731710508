"""Background jobs claimed through the database, so that no job is left "running" by a dead process.

A job row (import, re-assessment) carries ``claimed_by`` (the process that runs it) and
``heartbeat_at`` (refreshed while it runs). A process runs a job only after claiming its row with a
conditional UPDATE; while the work runs, a heartbeat keeps the row fresh. A row that is queued or
running but whose heartbeat (or, never claimed, its creation) is older than ``stale_seconds`` is an
orphan: its process died. ``recover_orphans`` — at start-up and then periodically — claims each
orphan with the same conditional UPDATE (so two replicas never both take one) and either resumes it
or marks it failed with a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# This process, as a job row names it (host, pid and a random part: a restarted pid is another process).
INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:80]
OPEN_STATUSES = ("queued", "running")
INTERRUPTED = "interrupted: the process running this job stopped / 任务中断：执行该任务的进程已停止"


class JobModel(Protocol):
    """A job table (SQLModel) with the columns the claim needs."""

    id: Any
    status: Any
    created_at: Any
    claimed_by: Any
    heartbeat_at: Any
    error: Any
    finished_at: Any


def _now() -> datetime:
    return datetime.now(UTC)


async def _update(engine: AsyncEngine, model: Any, *where: Any, **values: Any) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(update(model).where(*where).values(**values))
        return int(result.rowcount or 0)


async def claim(engine: AsyncEngine, model: Any, job_id: str) -> bool:
    """Take a job no process has taken yet; False if another one has."""
    taken = await _update(engine, model, model.id == job_id, model.claimed_by.is_(None),
                          claimed_by=INSTANCE, heartbeat_at=_now())  # fmt: skip
    return taken == 1


async def run_with_heartbeat(engine: AsyncEngine, model: Any, job_id: str, work: Awaitable[None],
                             heartbeat_seconds: float) -> None:  # fmt: skip
    """Run a claimed job's work, refreshing its heartbeat until the work ends (however it ends)."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(heartbeat_seconds)
            try:
                await _update(engine, model, model.id == job_id, model.claimed_by == INSTANCE, heartbeat_at=_now())
            except Exception:
                log.exception("heartbeat of job %s failed (retrying)", job_id)

    beater = asyncio.create_task(beat(), name=f"heartbeat-{job_id}")
    try:
        await work
    finally:
        beater.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beater


async def run_claimed(engine: AsyncEngine, model: Any, job_id: str, work: Coroutine[Any, Any, None],
                      heartbeat_seconds: float) -> bool:  # fmt: skip
    """Claim the job, then run it with a heartbeat; False (and the work never started) if it was taken."""
    if not await claim(engine, model, job_id):
        work.close()
        return False
    await run_with_heartbeat(engine, model, job_id, work, heartbeat_seconds)
    return True


async def recover_orphans(
    engine: AsyncEngine,
    model: Any,
    stale_seconds: float,
    resume: Callable[[Any], Coroutine[Any, Any, None]] | None,
    spawn: Callable[[Awaitable[None], str], object],
    heartbeat_seconds: float,
) -> list[str]:
    """Claim every orphaned job; resume it (`resume(row)` gives the work) or fail it. Returns their ids."""
    cutoff = _now() - timedelta(seconds=stale_seconds)
    last_sign = func.coalesce(model.heartbeat_at, model.created_at)
    orphaned = (model.status.in_(OPEN_STATUSES), last_sign < cutoff)
    async with engine.connect() as conn:
        rows = list((await conn.execute(select(model).where(*orphaned))).mappings())
    recovered = []
    for row in rows:
        taken = await _update(engine, model, model.id == row["id"], *orphaned, claimed_by=INSTANCE, heartbeat_at=_now())
        if taken != 1:
            continue  # another replica took it first
        recovered.append(row["id"])
        if resume is None:
            await _update(engine, model, model.id == row["id"], model.claimed_by == INSTANCE,
                          status="failed", error=INTERRUPTED, finished_at=_now())  # fmt: skip
            log.warning("job %s was orphaned (its process stopped): marked failed", row["id"])
        else:
            log.warning("job %s was orphaned (its process stopped): resuming it", row["id"])
            work = run_with_heartbeat(engine, model, row["id"], resume(row), heartbeat_seconds)
            spawn(work, f"resume-{row['id']}")
    return recovered
