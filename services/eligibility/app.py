"""Eligibility: the service definition and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.eligibility.api.routes import assessments, evaluate, pyramid, reassessments, rule_sets, seed_banks
from services.eligibility.config import EligibilitySettings
from services.eligibility.domain.rulebook import default_rule_book
from services.eligibility.handlers import EVENT_HANDLERS
from services.eligibility.persistence.tables import messaging, metadata
from shared.service import ServiceDefinition, ServiceRuntime, create_service_app


async def on_start(runtime: ServiceRuntime) -> None:
    # Load (and so validate) every rule file now: a malformed file stops the start, naming file and line.
    default_rule_book()


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
    event_handlers=EVENT_HANDLERS,
    settings_cls=EligibilitySettings,
    on_start=on_start,
    description="Rules-as-code for the four tiers: assessments, gaps, roadmaps, seed banks / 梯度培育评估",
)


def create_app(runtime: ServiceRuntime, *, manage_lifecycle: bool) -> FastAPI:
    return create_service_app(runtime, manage_lifecycle=manage_lifecycle)
