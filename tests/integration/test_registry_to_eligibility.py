"""Registry → eligibility over the bus (both backends; on Kafka through the real broker): a
financial report posted to the registry produces a new assessment, and a tier whose eligibility
flips is announced by exactly one ``eligibility.tier_changed`` event."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from sqlmodel import select

from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.eligibility.persistence.tables import Assessment, TierStatus
from services.registry.app import DEFINITION as REGISTRY
from shared.events.catalogue import TierChanged
from shared.events.envelope import Envelope, topic_for_source
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import Backend
from tests.support.builders import enterprise, financials
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
YEAR = 2025  # assessed under the 2022 rules: "last year" is 2024


def registry_client(runtime: ServiceRuntime) -> httpx.AsyncClient:
    token = sign_identity(Principal(Role.ADMIN, None, "test"), runtime.settings.internal_signing_key)
    app = create_service_app(runtime, manage_lifecycle=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry",
                             headers={IDENTITY_HEADER: token})  # fmt: skip


async def assessments_of(runtime: ServiceRuntime, uscc: str) -> list[Assessment]:
    async with runtime.uow() as uow:
        return list(await uow.session.exec(select(Assessment).where(Assessment.uscc == uscc)))


async def statuses_of(runtime: ServiceRuntime, uscc: str) -> dict[str, bool]:
    async with runtime.uow() as uow:
        rows = await uow.session.exec(select(TierStatus).where(TierStatus.uscc == uscc))
        return {row.tier: row.eligible for row in rows}


async def tier_changes_on_the_bus(backend: Backend, runtime: ServiceRuntime, uscc: str) -> list[Envelope]:
    """Every tier_changed event for ``uscc`` that went through the bus (Kafka: read back from the topic)."""
    await eventually(runtime.relay.pending_count, lambda n: n == 0, what="eligibility outbox drained")
    topic = f"{backend.kafka_namespace}.{topic_for_source('eligibility')}"
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=backend.kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)  # fmt: skip
    await consumer.start()
    try:
        envelopes: list[Envelope] = []
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                break
            envelopes += [Envelope.from_bytes(m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return [e for e in envelopes if e.type == TierChanged.TYPE and e.subject == uscc]


async def test_a_financial_report_is_assessed_and_a_flip_is_announced_once(
    start_runtime: Any, backend: Backend
) -> None:
    recorded: list[Envelope] = []
    if backend.shared_bus is not None:  # in-process: listen on the bus itself
        original = backend.shared_bus.publish

        async def recording(topic: str, envelopes: Any) -> None:
            recorded.extend(envelopes)
            await original(topic, envelopes)

        backend.shared_bus.publish = recording  # type: ignore[method-assign]
    eligibility = await start_runtime(ELIGIBILITY, settings={"eligibility_assessment_year": YEAR})
    registry = await start_runtime(REGISTRY, settings={"registry_demo_count": 0})
    body = enterprise(4242, rd_institutions=[])  # no R&D institution: no direct route to innovative SME
    uscc = body["uscc"]
    weak = financials(revenue=86_000_000, rd=430_000)  # R&D intensity 0.5%: innovation group below 20
    async with registry_client(registry) as client:
        assert (await client.post("/api/v1/registry/enterprises", json=body)).status_code == 201
        assert (await client.put(f"/api/v1/registry/enterprises/{uscc}/financials/2023",
                                 json=financials(revenue=75_000_000, rd=300_000))).status_code == 201  # fmt: skip
        assert (await client.put(f"/api/v1/registry/enterprises/{uscc}/financials/2024", json=weak)).status_code == 201
        await eventually(lambda: assessments_of(eligibility, uscc), lambda rows: len(rows) >= 3, what="3 assessments")
        before = await statuses_of(eligibility, uscc)
        assert before["innovative_sme"] is False

        strong = financials(revenue=86_000_000, rd=4_300_000)  # 5%: the innovation group reaches 20
        assert (
            await client.put(f"/api/v1/registry/enterprises/{uscc}/financials/2024", json=strong)
        ).status_code == 200

    history = await eventually(lambda: assessments_of(eligibility, uscc), lambda rows: len(rows) >= 4,
                               what="a new assessment")  # fmt: skip
    assert len(history) == 4
    after = await statuses_of(eligibility, uscc)
    assert after["innovative_sme"] is True
    flipped = {tier for tier in after if after[tier] != before[tier]}

    if backend.is_kafka:
        changes = await tier_changes_on_the_bus(backend, eligibility, uscc)
    else:
        await eventually(eligibility.relay.pending_count, lambda n: n == 0, what="eligibility outbox drained")
        changes = [e for e in recorded if e.type == TierChanged.TYPE and e.subject == uscc]
    assert sorted(e.data["tier"] for e in changes) == sorted(flipped), "one tier_changed per flipped tier"
    innovative = next(e for e in changes if e.data["tier"] == "innovative_sme")
    assert innovative.data["eligible"] is True and innovative.data["previously_eligible"] is False
