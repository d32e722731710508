"""Eligibility's batch handler has exactly the effect of its per-event handler: on a mixed batch of
registry events (new enterprises, updates, a stale snapshot arriving late, several events for one
enterprise, financial reports that flip tiers, a recognition, an officer assignment in the middle),
applied one by one in one service and as one consumer batch in another, the projection, the
assessments, the tier statuses and every event emitted are the same, in the same order (ids aside).
On SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import select as select_rows

from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.eligibility.persistence.tables import Assessment, FactsProjection, TierStatus, officer_assignment
from shared.events.catalogue import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    FinancialsReported,
    FinancialYear,
    OfficerAssigned,
    RecognitionGranted,
)
from shared.events.catalogue.registry import RecognitionHeld
from shared.events.consumer import BatchedHandler
from shared.events.envelope import Envelope
from shared.events.inprocess import InProcessBus
from shared.service import ServiceRuntime
from tests.support.builders import credit_code, enterprise

pytestmark = pytest.mark.asyncio(loop_scope="session")
YEAR = 2025


def snapshot(serial: int, version: int, revenue: int, rd: int, **changes: Any) -> EnterpriseSnapshot:
    body = enterprise(serial)
    facts = {key: body[key] for key in ("ip", "rd_institutions", "digital_level", "core_systems", "quality",
                                        "management_certs", "field_flags")}  # fmt: skip
    years = [
        FinancialYear(year=year, operating_revenue=revenue * share, main_business_revenue=revenue * share * 92 // 100,
                      rd_expense=rd * share, net_profit=revenue * share * 8 // 100, total_assets=revenue * 3 // 2,
                      total_liabilities=revenue * 7 // 10, employees=230, rd_staff=41, audited=True)
        for year, share in ((2022, 1), (2023, 1), (2024, 1))
    ]  # fmt: skip
    values: dict[str, Any] = {
        "uscc": credit_code(serial), "name": body["name"], "prefecture_code": "5301", "county_code": "530102",
        "industry_code": "C3985", "size_class": "small", "established_on": date(2012, 3, 15),
        "niche_market": body["niche_market"], "niche_since": 2014, "contact_email": "ops@example.cn",
        "financials": years, "facts": facts, "version": version,
    }  # fmt: skip
    return EnterpriseSnapshot(**(values | changes))


def registered(s: EnterpriseSnapshot) -> Envelope:
    return EnterpriseRegistered(uscc=s.uscc, enterprise=s).to_envelope(None)


def updated(s: EnterpriseSnapshot) -> Envelope:
    return EnterpriseUpdated(uscc=s.uscc, changed_fields=["name"], enterprise=s).to_envelope(None)


def reported(s: EnterpriseSnapshot) -> Envelope:
    return FinancialsReported(uscc=s.uscc, year=2024, report=s.financials[-1], enterprise=s).to_envelope(None)


def assigned(uscc: str) -> Envelope:
    at = datetime(2025, 5, 1, tzinfo=UTC)
    return OfficerAssigned(
        uscc=uscc, officer_id="officer-7", previous_officer_id=None, prefecture_code="5301", assigned_at=at
    ).to_envelope(None)


def the_batch() -> tuple[list[Envelope], list[Envelope]]:
    """(events applied before, the mixed batch)."""
    known = snapshot(1, 1, revenue=86_000_000, rd=430_000)  # weak R&D: not an innovative SME yet
    before = [registered(known), registered(snapshot(2, 1, revenue=86_000_000, rd=4_300_000))]
    recognition = RecognitionHeld(tier="innovative_sme", level="provincial", valid_from=date(2024, 1, 1),
                                  valid_to=date(2026, 12, 31))  # fmt: skip
    recognised = snapshot(2, 2, revenue=86_000_000, rd=4_300_000, recognitions=[recognition])
    batch = [
        reported(snapshot(1, 2, revenue=86_000_000, rd=4_300_000)),  # flips tiers on
        registered(snapshot(3, 1, revenue=20_000_000, rd=100_000)),
        registered(snapshot(4, 1, revenue=150_000_000, rd=9_000_000)),
        updated(snapshot(3, 3, revenue=20_000_000, rd=2_000_000, name="改名后的公司")),
        assigned(known.uscc),
        reported(snapshot(3, 2, revenue=20_000_000, rd=3_000_000)),  # older than version 3: changes nothing
        RecognitionGranted(uscc=recognised.uscc, recognition=recognition, enterprise=recognised).to_envelope(None),
        reported(snapshot(1, 3, revenue=5_000_000, rd=50_000)),  # and one off again, in the same batch
        registered(snapshot(5, 1, revenue=60_000_000, rd=3_600_000)),
    ]
    return before, batch


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_services(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[[str], Any]]:
    started: list[ServiceRuntime] = []

    async def start(label: str) -> ServiceRuntime:
        if request.param == "sqlite":
            base = f"sqlite+aiosqlite:///{tmp_path / label / 'srdi.db'}"
        else:
            server = make_url(request.getfixturevalue("postgres_url"))
            base = server.set(database=f"srdi_b{secrets.token_hex(4)}").render_as_string(hide_password=False)
        settings = ELIGIBILITY.settings_cls(database_url=base, eligibility_assessment_year=YEAR)
        runtime = ServiceRuntime(dataclasses.replace(ELIGIBILITY), settings, InProcessBus(), run_relay=False)
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.stop()


async def state(runtime: ServiceRuntime) -> dict[str, Any]:
    """Everything the events left, with each assessment id replaced by its place in the outbox."""
    async with runtime.uow() as uow:
        outbox = runtime.definition.tables.outbox
        emitted = [Envelope.model_validate_json(raw) for (raw,) in await uow.session.execute(
            select(outbox.c.envelope).order_by(outbox.c.id))]  # fmt: skip
        order = {e.data["assessment_id"]: n for n, e in enumerate(emitted) if e.type.endswith("assessed.v1")}
        assessments = sorted(
            ((order[a.id], a.uscc, a.assessment_year, a.trigger, json.dumps(a.results, sort_keys=True))
             for a in await uow.session.exec(select_rows(Assessment))),
        )  # fmt: skip
        statuses = sorted(
            (s.uscc, s.tier, s.eligible, s.decision, s.score, s.rule_set, s.recognised, order[s.assessment_id])
            for s in await uow.session.exec(select_rows(TierStatus))
        )
        projection = sorted(
            (p.uscc, p.name, p.snapshot_version, json.dumps(p.snapshot, sort_keys=True))
            for p in await uow.session.exec(select_rows(FactsProjection))
        )
        officers = sorted(tuple(row) for row in await uow.session.execute(select(officer_assignment)))
    events = [(e.type, e.subject, {k: order.get(v, v) if k == "assessment_id" else v for k, v in e.data.items()})
              for e in emitted]  # fmt: skip
    return {"events": events, "assessments": assessments, "statuses": statuses, "projection": projection,
            "officers": officers}  # fmt: skip


async def test_the_batch_handler_has_the_effect_of_one_event_after_another(two_services: Any) -> None:
    before, batch = the_batch()
    one_by_one, batched_service = await two_services("single"), await two_services("batch")
    for runtime in (one_by_one, batched_service):
        for envelope in before:
            await runtime.consumer.deliver(envelope)
    handler = batched_service.consumer.handlers[EnterpriseRegistered.TYPE][0]
    assert isinstance(handler, BatchedHandler), "eligibility registers a batch form for snapshot events"

    for envelope in batch:
        await one_by_one.consumer.deliver(envelope)
    applied = await batched_service.consumer.apply_batch(batch)  # raises instead of falling back

    assert applied == {e.id for e in batch}
    single, batched = await state(one_by_one), await state(batched_service)
    assert batched == single
    # and the batch was a real one: a stale snapshot skipped, flips announced, the officer projected
    assert len(single["assessments"]) == len(before) + len(batch) - 2  # the stale report and the officer
    flips = [(data["tier"], data["eligible"]) for kind, subject, data in single["events"]
             if kind.endswith("tier_changed.v1") and subject == credit_code(1)]  # fmt: skip
    assert ("innovative_sme", True) in flips and {eligible for _, eligible in flips} == {True, False}, flips
    assert any(row[1] == "改名后的公司" for row in single["projection"])
    assert len(single["officers"]) == 1
