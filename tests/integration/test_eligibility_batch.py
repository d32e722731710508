"""Eligibility's batch handler has exactly the effect of its per-event handler: on a mixed batch of
registry events (new enterprises, updates, a stale snapshot arriving late, several events for one
enterprise, financial reports that flip tiers, a recognition, an officer assignment in the middle),
applied one by one in one service and as one consumer batch in another, the projection, the
assessments, the tier statuses and every event emitted are the same, in the same order (ids aside).
On SQLite and on PostgreSQL. A batch large enough for the vectorised path (decided eagerly, explained
lazily) writes the same tier statuses and events, and its assessments — once read — the same results."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import select as select_rows

from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.eligibility.persistence.tables import Assessment, FactsProjection, TierStatus, officer_assignment
from services.eligibility.usecases.assessments import explain_assessment
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
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.support.builders import credit_code, enterprise

pytestmark = pytest.mark.asyncio(loop_scope="session")
YEAR = 2025


def snapshot(
    serial: int, version: int, revenue: int, rd: int, years: tuple[int, ...] = (2022, 2023, 2024), **changes: Any
) -> EnterpriseSnapshot:
    body = enterprise(serial)
    facts = {key: body[key] for key in ("ip", "rd_institutions", "digital_level", "core_systems", "quality",
                                        "management_certs", "field_flags")}  # fmt: skip
    financials = [
        FinancialYear(year=year, operating_revenue=revenue * share, main_business_revenue=revenue * share * 92 // 100,
                      rd_expense=rd * share, net_profit=revenue * share * 8 // 100, total_assets=revenue * 3 // 2,
                      total_liabilities=revenue * 7 // 10, employees=230, rd_staff=41, audited=True)
        for year, share in ((year, 1) for year in years)
    ]  # fmt: skip
    values: dict[str, Any] = {
        "uscc": credit_code(serial), "name": body["name"], "prefecture_code": "5301", "county_code": "530102",
        "industry_code": "C3985", "size_class": "small", "established_on": date(2012, 3, 15),
        "niche_market": body["niche_market"], "niche_since": 2014, "contact_email": "ops@example.cn",
        "financials": financials, "facts": facts, "version": version,
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

    async def start(label: str, **overrides: Any) -> ServiceRuntime:
        if request.param == "sqlite":
            base = f"sqlite+aiosqlite:///{tmp_path / label / 'srdi.db'}"
        else:
            server = make_url(request.getfixturevalue("postgres_url"))
            base = server.set(database=f"srdi_b{secrets.token_hex(4)}").render_as_string(hide_password=False)
        values: dict[str, Any] = {"database_url": base, "eligibility_assessment_year": YEAR} | overrides
        settings = ELIGIBILITY.settings_cls(**values)
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
    """The batch form on the scalar path (the vectorised one: the test below)."""
    before, batch = the_batch()
    scalar_only = {"eligibility_vectorised_batch_min": 10**6}
    one_by_one, batched_service = await two_services("single"), await two_services("batch", **scalar_only)
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


def a_large_batch(year: int) -> tuple[list[Envelope], list[Envelope]]:
    """(events applied before, a batch for the vectorised path): eligible, ineligible and undetermined
    tiers (the 2026 rule sets, a fact left out), money beyond the batch columns' range, a stale snapshot,
    an enterprise three times and one twice, flips both ways."""
    recent = (year - 3, year - 2, year - 1)
    before = [registered(snapshot(11, 1, years=recent, revenue=86_000_000, rd=430_000)),
              registered(snapshot(12, 1, years=recent, revenue=86_000_000, rd=4_300_000))]  # fmt: skip
    batch = [
        reported(snapshot(11, 2, years=recent, revenue=86_000_000, rd=4_300_000)),  # flips on
        registered(snapshot(13, 1, years=recent, revenue=20_000_000, rd=100_000)),
        registered(snapshot(14, 1, years=recent, revenue=150_000_000, rd=9_000_000)),
        registered(
            snapshot(15, 1, years=recent, revenue=3_000_000_000_000, rd=180_000_000_000)
        ),  # > 10^12 yuan: a misfit
        registered(
            snapshot(16, 1, years=recent, revenue=60_000_000, rd=3_600_000, niche_since=None, established_on=None)
        ),
        updated(snapshot(13, 3, years=recent, revenue=20_000_000, rd=2_000_000, name="改名后的公司")),
        assigned(credit_code(11)),
        reported(snapshot(13, 2, years=recent, revenue=20_000_000, rd=3_000_000)),  # stale: changes nothing
        reported(snapshot(12, 2, years=recent, revenue=5_000_000, rd=50_000)),  # flips off
        reported(snapshot(11, 3, years=recent, revenue=5_000_000, rd=50_000)),  # and off again in the same batch
        registered(snapshot(17, 1, years=recent, revenue=60_000_000, rd=3_600_000)),
        registered(snapshot(18, 1, years=recent, revenue=400_000_000, rd=30_000_000)),
    ]
    return before, batch


def outcomes(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["tier"], r["rule_set"], r["eligible"], r["decision"], r["score"], r["passed_via"]) for r in results]


# 2025: the 2022 rule sets (tiers flip both ways); 2026: the 2026 revision in force.
@pytest.mark.parametrize("year", [2025, 2026])
async def test_a_vectorised_batch_writes_what_the_scalar_path_writes_and_explains_on_read(
    two_services: Any, year: int
) -> None:
    before, batch = a_large_batch(year)
    one_by_one = await two_services("single", eligibility_assessment_year=year)
    batched_service = await two_services("batch", eligibility_assessment_year=year, eligibility_vectorised_batch_min=4)
    for runtime in (one_by_one, batched_service):
        for envelope in before:
            await runtime.consumer.deliver(envelope)
    for envelope in batch:
        await one_by_one.consumer.deliver(envelope)
    assert await batched_service.consumer.apply_batch(batch) == {e.id for e in batch}

    single, batched = await state(one_by_one), await state(batched_service)
    # Decided eagerly: the same tier statuses and events (every TierOutcome field), projection, officers.
    for part in ("events", "statuses", "projection", "officers"):
        assert batched[part] == single[part], part
    decisions = {r["decision"] for *_, raw in single["assessments"] for r in json.loads(raw)}
    flips = {(subject, d["tier"], d["eligible"]) for kind, subject, d in single["events"]
             if kind.endswith("tier_changed.v1")}  # fmt: skip
    assert decisions == {"eligible", "not_eligible", "undetermined"}, decisions
    if year == 2025:
        assert {eligible for *_, eligible in flips} == {True, False}, flips
    assert any(d["gaps"] > 0 for kind, _, e in single["events"] if kind.endswith("assessed.v1") for d in e["results"])
    # ... with the outcomes stored, the explanations left for the first reader; the money beyond the
    # columns and the snapshots replaced later in the batch were assessed (and explained) on the scalar path.
    async with batched_service.uow() as uow:
        rows = list(await uow.session.exec(select_rows(Assessment)))
    unexplained = {row.uscc for row in rows if not row.explained}
    assert unexplained == {credit_code(n) for n in (11, 12, 13, 14, 16, 17, 18)}, unexplained
    assert all(row.explained for row in rows if row.uscc == credit_code(15))
    assert sorted((outcomes(r.results) for r in rows), key=repr) == sorted(
        (outcomes(json.loads(raw)) for *_, raw in single["assessments"]), key=repr
    )

    # Read through the API: the full explanation, exactly as the scalar path stored it.
    token = sign_identity(Principal(Role.ADMIN, None, "test"), batched_service.settings.internal_signing_key)
    app = create_service_app(batched_service, manage_lifecycle=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc",
                                 headers={IDENTITY_HEADER: token}) as client:  # fmt: skip
        answer = await client.get(f"/api/v1/eligibility/enterprises/{credit_code(14)}/assessment")
    assert answer.status_code == 200
    body = answer.json()
    assert "explained" not in body
    expected = next(json.loads(raw) for _, uscc, *_, raw in single["assessments"] if uscc == credit_code(14))
    assert body["results"] == expected
    assert any(r["conditions"] and r["conditions"][0]["explanation"]["zh"] for r in body["results"])
    async with batched_service.uow() as uow:
        stored = await uow.session.exec(select_rows(Assessment).where(Assessment.uscc == credit_code(14)))
        assert [a.explained for a in stored] == [True], "stored explained: the next read is cheap"

    # Explained lazily, every assessment holds what the scalar path stored — but one: the officer's
    # event splits the batch into two runs, and enterprise 11's snapshot decided in the first was
    # replaced in the second; its facts are no longer held, so it keeps its outcomes (the newer
    # snapshot's assessment explains the enterprise).
    async with batched_service.uow() as uow:
        kept = [row.snapshot_version for row in await uow.session.exec(select_rows(Assessment))
                if not await explain_assessment(uow, row) and row.uscc == credit_code(11)]  # fmt: skip
        await uow.commit()
    assert kept == [2]
    again = await state(batched_service)
    assert {k: v for k, v in again.items() if k != "assessments"} == {
        k: v for k, v in single.items() if k != "assessments"
    }
    assert len(again["assessments"]) == len(single["assessments"])
    replaced = 0
    for (*key, raw), (*expected_key, expected_raw) in zip(again["assessments"], single["assessments"], strict=True):
        assert key == expected_key
        if raw == expected_raw:
            continue
        replaced += 1
        found, wanted = json.loads(raw), json.loads(expected_raw)
        assert outcomes(found) == outcomes(wanted)
        assert [r["gap_count"] for r in found] == [len(r["gaps"]) for r in wanted]
    assert replaced == 1
