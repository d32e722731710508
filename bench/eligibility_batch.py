"""Eligibility consuming one registry batch on PostgreSQL: the scalar path (one full assessment per
event) vs the vectorised path (decide the batch at once, explain each assessment on first read).

    .venv/bin/python -m bench.eligibility_batch [--events 2000] [--explain-sample 50]

Each path runs in its own eligibility service (its own database) with the same events already
projected once (so the batch updates enterprises, as a re-filed register does): the consumer's
``apply_batch`` — projection, assessments, tier statuses and outbox rows in one transaction — is
timed, and events/s reported for both. The lazy side's cost is shown too: milliseconds to explain
one unexplained assessment on its first read (what the scalar path paid up front for every event).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import secrets
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import make_url
from sqlmodel import select

from bench.results import Result, write_fragment
from services.eligibility.api.deps import rule_book_of
from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.eligibility.persistence.tables import Assessment
from services.eligibility.usecases.assessments import explain_assessment
from shared.events.catalogue import EnterpriseRegistered, EnterpriseSnapshot, FinancialsReported, FinancialYear
from shared.events.envelope import Envelope
from shared.events.inprocess import InProcessBus
from shared.service import ServiceRuntime


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="registry events in the batch")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=20251203)
    parser.add_argument("--explain-sample", type=int, default=50)
    return parser.parse_args(argv)


def snapshot(serial: int, version: int, rng: random.Random, year: int) -> EnterpriseSnapshot:
    from tests.support.builders import credit_code, enterprise

    body = enterprise(serial)
    revenue = rng.choice([5, 20, 60, 86, 150, 400]) * 1_000_000 + rng.randrange(1_000_000)
    intensity = rng.choice([5, 20, 30, 50, 60, 80])  # per mille
    facts = {key: body[key] for key in ("ip", "rd_institutions", "digital_level", "core_systems", "quality",
                                        "management_certs", "field_flags")}  # fmt: skip
    years = [
        FinancialYear(year=y, operating_revenue=revenue * (90 + 5 * i) // 100,
                      main_business_revenue=revenue * (90 + 5 * i) * 92 // 10_000,
                      rd_expense=revenue * intensity // 1000, net_profit=revenue * 8 // 100,
                      total_assets=revenue * 3 // 2, total_liabilities=revenue * rng.choice([4, 7, 9]) // 10,
                      employees=rng.choice([40, 230, 800]), rd_staff=rng.choice([3, 41, 120]), audited=True)
        for i, y in enumerate(range(year - 3, year))
    ]  # fmt: skip
    return EnterpriseSnapshot(
        uscc=credit_code(serial), name=body["name"], prefecture_code="5301", county_code="530102",
        industry_code="C3985", size_class=rng.choice(["small", "medium"]), established_on=date(2012, 3, 15),
        niche_market=body["niche_market"], niche_since=rng.choice([2014, 2020, 2023]), contact_email="ops@example.cn",
        financials=years, facts=facts, version=version,
    )  # fmt: skip


def events(count: int, seed: int, year: int) -> tuple[list[Envelope], list[Envelope]]:
    """(the register as first filed, the re-filed batch: every enterprise reported again)."""
    rng = random.Random(seed)
    first = [snapshot(100_000 + n, 1, rng, year) for n in range(count)]
    again = [snapshot(100_000 + n, 2, rng, year) for n in range(count)]
    before = [EnterpriseRegistered(uscc=s.uscc, enterprise=s).to_envelope(None) for s in first]
    batch = [FinancialsReported(uscc=s.uscc, year=year - 1, report=s.financials[-1], enterprise=s).to_envelope(None)
             for s in again]  # fmt: skip
    return before, batch


async def service(label: str, year: int, vectorised_min: int) -> ServiceRuntime:
    from tests.infra import postgres_url

    name = f"srdibench_elig_{label}_{secrets.token_hex(3)}"
    base = make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)
    settings = ELIGIBILITY.settings_cls(database_url=base, eligibility_assessment_year=year, log_json=False,
                                        eligibility_vectorised_batch_min=vectorised_min)  # fmt: skip
    runtime = ServiceRuntime(dataclasses.replace(ELIGIBILITY), settings, InProcessBus(), run_relay=False)
    await runtime.start()
    return runtime


async def drop(runtime: ServiceRuntime) -> None:
    from bench.event_pipeline import drop_databases

    url = runtime.settings.database_url
    await runtime.stop()
    await drop_databases(url, ["eligibility"])


async def consume(label: str, args: argparse.Namespace, vectorised_min: int) -> dict[str, Any]:
    before, batch = events(args.events, args.seed, args.year)
    runtime = await service(label, args.year, 32)
    try:
        await runtime.consumer.apply_batch(before)  # the register as first filed: not timed
        runtime.settings.eligibility_vectorised_batch_min = vectorised_min  # read per batch
        started = time.perf_counter()
        applied = await runtime.consumer.apply_batch(batch)
        seconds = time.perf_counter() - started
        assert len(applied) == len(batch)
        explain_ms = None
        async with runtime.uow() as uow:
            # The batch's own assessments (those of the first filing were replaced by it).
            query = select(Assessment).where(Assessment.explained == False, Assessment.snapshot_version == 2)  # noqa: E712
            sample = list(await uow.session.exec(query.limit(args.explain_sample)))
            book = rule_book_of(runtime)
            if sample:
                started = time.perf_counter()
                for row in sample:
                    assert await explain_assessment(uow, row, book), row.id
                await uow.commit()
                explain_ms = (time.perf_counter() - started) * 1000 / len(sample)
        return {"seconds": seconds, "rate": len(batch) / seconds, "explain_ms": explain_ms}
    finally:
        await drop(runtime)


async def run(args: argparse.Namespace) -> list[Result]:
    scalar = await consume("scalar", args, vectorised_min=args.events + 1)
    vectorised = await consume("vector", args, vectorised_min=32)
    print(f"scalar path:     {args.events} events in {scalar['seconds']:.2f} s = {scalar['rate']:,.0f} events/s")
    print(f"vectorised path: {args.events} events in {vectorised['seconds']:.2f} s = {vectorised['rate']:,.0f} "
          f"events/s; an explanation on first read: {vectorised['explain_ms']:.1f} ms")  # fmt: skip
    note = (f"one registry batch of {args.events} FinancialsReported events (updates) applied by eligibility's "
            f"batch consumer on PostgreSQL, one transaction; explaining an unexplained assessment on first read: "
            f"{vectorised['explain_ms']:.1f} ms each")  # fmt: skip
    return [
        Result.measured("eligibility batch: vectorised path", round(vectorised["rate"], 1), "events/s",
                        "scalar path (one full assessment per event)", round(scalar["rate"], 1),
                        higher_is_better=True, note=note),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    results = asyncio.run(run(args))
    write_fragment("eligibility_batch", results, {"events": args.events, "year": args.year})


if __name__ == "__main__":
    main()
