"""Loading the synthetic population through the registry's own commands (so every enterprise is
announced on the bus like any other)."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from services.registry.api.schemas import EnterpriseCreate, FinancialReportIn, RecognitionIn
from services.registry.config import RegistrySettings
from services.registry.domain.demo import generate_population
from services.registry.persistence.tables import Enterprise
from services.registry.usecases import commands
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)


async def load_demo_population(runtime: ServiceRuntime, count: int, seed: int, batch: int = 200) -> int:
    loaded = 0
    population = list(generate_population(count, seed))
    for start in range(0, len(population), batch):
        async with runtime.uow() as uow:
            for demo in population[start : start + batch]:
                if await uow.session.get(Enterprise, demo.enterprise["uscc"]) is not None:
                    continue
                reports = {year: FinancialReportIn.model_validate(report) for year, report in demo.financials.items()}
                held = [RecognitionIn.model_validate(recognition) for recognition in demo.recognitions]
                await commands.register(uow, EnterpriseCreate.model_validate(demo.enterprise), reports, held)
                loaded += 1
            await uow.commit()
    return loaded


async def load_demo_on_first_start(runtime: ServiceRuntime[RegistrySettings]) -> None:
    """Embedded mode: an empty register gets the demo population, in the background so that the
    platform answers at once."""
    settings = runtime.settings
    first = next(generate_population(1, settings.registry_demo_seed), None)
    runtime.state["demo_enterprise_uscc"] = first.enterprise["uscc"] if first else None
    if not settings.loads_demo_data:
        return
    async with runtime.uow() as uow:
        existing = await uow.session.scalar(select(func.count()).select_from(Enterprise))
    if existing:
        return

    async def load() -> None:
        loaded = await load_demo_population(runtime, settings.registry_demo_count, settings.registry_demo_seed)
        log.info("demo data: %d enterprises loaded", loaded)

    runtime.spawn(load(), "demo-data")
