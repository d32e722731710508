"""Eligibility: the service definition and the app factory."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.eligibility.api.deps import RULE_BOOK
from services.eligibility.api.routes import assessments, evaluate, pyramid, reassessments, rule_sets, seed_banks
from services.eligibility.config import EligibilitySettings
from services.eligibility.domain.rulebook import load_rule_book
from services.eligibility.handlers import event_handlers
from services.eligibility.persistence.tables import ReassessmentJob, messaging, metadata
from services.eligibility.usecases.reassessment import run_reassessment
from services.eligibility.usecases.rebuild import rebuild_projection
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app


async def on_start(runtime: ServiceRuntime[EligibilitySettings]) -> None:
    # The rule book is read (and so validated) once, now: a malformed file stops the start, naming file
    # and line. Routes and handlers are given this one (RULE_BOOK in the runtime's state).
    book = load_rule_book()
    runtime.state[RULE_BOOK] = book

    def resume(job: Any) -> Coroutine[Any, Any, None]:
        return run_reassessment(runtime, job["id"], job["assessment_year"], book)

    # A re-assessment whose process died is resumed from the start (it is idempotent).
    await runtime.recover_jobs(ReassessmentJob, resume)
    stale = runtime.settings.job_stale_seconds
    runtime.run_every("reassessment-recovery", lambda: runtime.recover_jobs(ReassessmentJob, resume), stale)


DEFINITION = ServiceDefinition(
    name="eligibility",
    metadata=metadata,
    tables=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[
        evaluate.router,
        assessments.router,
        rule_sets.router,
        pyramid.router,
        seed_banks.router,
        reassessments.router,
    ],
    consumes=["registry", "notifications"],
    event_handlers=event_handlers,
    settings_cls=EligibilitySettings,
    on_start=on_start,
    description="Rules-as-code for the four tiers: assessments, gaps, roadmaps, seed banks / 梯度培育评估",
    rebuild_projection=rebuild_projection,
)


def create_app(runtime: ServiceRuntime[EligibilitySettings], *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
