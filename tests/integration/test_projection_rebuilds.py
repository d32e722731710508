"""``srdi rebuild-projection finance_match | notifications``: each service's view of the enterprises
rebuilt from the event history on Kafka equals the one its live consumer built — a damaged row is
mended, a missing one back, a stray one gone, a poison event skipped and counted; what the service
did (pairings, officer assignments) is left as it was."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.finance_match.app import DEFINITION as FINANCE_MATCH
from services.finance_match.persistence.tables import EnterpriseView as FinanceView
from services.finance_match.persistence.tables import Pairing
from services.notifications.app import DEFINITION as NOTIFICATIONS
from services.notifications.persistence.tables import Assignment
from services.notifications.persistence.tables import EnterpriseView as NotificationsView
from services.registry.app import DEFINITION as REGISTRY
from shared.events.catalogue import EnterpriseRegistered, TierChanged
from shared.events.envelope import Envelope, topic_for_source
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import Backend
from tests.support.builders import enterprise, financials
from tests.support.finance import FINANCE, bank_body
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
TIMESTAMPS = {"first_seen_at", "updated_at"}


async def rows(runtime: ServiceRuntime, model: Any) -> dict[str, dict[str, Any]]:
    async with runtime.uow() as uow:
        found = (await uow.session.execute(select(model))).scalars().all()
        return {r.uscc: {k: v for k, v in r.model_dump().items() if k not in TIMESTAMPS} for r in found}


async def count(runtime: ServiceRuntime, model: Any) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def caught_up(consumer: ServiceRuntime, producer: ServiceRuntime, also: set[str]) -> bool:
    """Every event the producer's outbox holds of a type the consumer handles, and ``also``, is in its inbox."""
    outbox = producer.definition.tables.outbox
    async with producer.uow() as uow:
        found = await uow.session.execute(select(outbox.c.event_id, outbox.c.type))
        wanted = {e for e, t in found if t in consumer.consumer.handlers} | also
    inbox = consumer.definition.tables.inbox
    async with consumer.uow() as uow:
        have = {e for (e,) in await uow.session.execute(select(inbox.c.event_id))}
    return wanted <= have


@pytest.mark.parametrize("backend", ["kafka"], indirect=True)
async def test_finance_and_notifications_views_rebuilt_from_history_equal_the_live_ones(
    start_runtime: Any, backend: Backend
) -> None:
    registry = await start_runtime(REGISTRY, settings={"registry_demo_count": 0})
    finance = await start_runtime(FINANCE_MATCH, settings={"finance_match_demo": False})
    notifications = await start_runtime(
        NOTIFICATIONS, settings={"notifications_demo": False, "notifications_background": False}
    )
    token = sign_identity(Principal(Role.ADMIN, None, "test"), registry.settings.internal_signing_key)

    def admin(runtime: ServiceRuntime) -> httpx.AsyncClient:
        app = create_service_app(runtime, manage_lifecycle=False)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc",
                                 headers={IDENTITY_HEADER: token})  # fmt: skip

    assert (await admin(finance).post(f"{FINANCE}/banks", json=bank_body("bank-r", ["5301"]))).status_code == 201
    usccs = []
    for serial in (6101, 6102, 6103):
        body = enterprise(serial)
        usccs.append(body["uscc"])
        assert (await admin(registry).post("/api/v1/registry/enterprises", json=body)).status_code == 201
    url = f"/api/v1/registry/enterprises/{usccs[0]}/financials/2025"
    assert (await admin(registry).put(url, json=financials())).status_code == 201
    # eligibility's word, as it would publish it: one tier gained, then lost again, one gained for good
    changes = [(usccs[0], "srdi_sme", True), (usccs[0], "srdi_sme", False), (usccs[1], "little_giant", True)]
    envelopes = [TierChanged(uscc=u, tier=t, eligible=e, previously_eligible=not e, rule_set=f"{t}@test",
                             assessment_id=str(uuid.uuid4()), prefecture_code="5301").to_envelope()
                 for u, t, e in changes]  # fmt: skip
    poison = Envelope(source="registry", type=EnterpriseRegistered.TYPE, subject=usccs[2], data={"uscc": usccs[2]})
    bus = backend.new_bus()
    await bus.start()
    try:
        await bus.ensure_topics([topic_for_source("eligibility")])
        await bus.publish(topic_for_source("eligibility"), envelopes)
        await bus.publish(topic_for_source("registry"), [poison])
    finally:
        await bus.stop()

    await eventually(lambda: registry.relay.pending_count(), lambda n: n == 0, what="the registry outbox published")
    tier_changes = {e.id for e in envelopes}
    await eventually(lambda: caught_up(finance, registry, tier_changes), bool, what="finance_match caught up")
    await eventually(lambda: caught_up(notifications, registry, set()), bool, what="notifications caught up")
    live_finance, live_notifications = await rows(finance, FinanceView), await rows(notifications, NotificationsView)
    assert set(live_finance) == set(live_notifications) == set(usccs)
    assert live_finance[usccs[0]]["eligible_tiers"] == []
    pairings, assignments = await count(finance, Pairing), await count(notifications, Assignment)

    for runtime, model in ((finance, FinanceView), (notifications, NotificationsView)):
        async with runtime.uow() as uow:  # damage: a wrong name, a missing row, a stray row
            row = await uow.session.get(model, usccs[1])
            assert row is not None
            row.name = "错误的名称"
            uow.session.add(row)
            await uow.session.delete(await uow.session.get(model, usccs[2]))
            stray = (await rows(runtime, model))[usccs[0]] | {"uscc": "91530102STRAY0000X"}
            uow.session.add(model.model_validate(stray | {k: getattr(row, k) for k in TIMESTAMPS if hasattr(row, k)}))
            await uow.commit()
    assert await rows(finance, FinanceView) != live_finance

    async with finance.uow() as uow:
        report = await FINANCE_MATCH.rebuild_projection(finance.settings, uow)  # type: ignore[misc]
    # registry: 3 registrations + 1 report + the poison; eligibility: 3 tier changes
    assert (report.events, report.skipped, report.rows) == (8, 1, 3), report
    assert await rows(finance, FinanceView) == live_finance

    async with notifications.uow() as uow:
        report = await NOTIFICATIONS.rebuild_projection(notifications.settings, uow)  # type: ignore[misc]
    assert (report.events, report.skipped, report.rows) == (5, 1, 3), report
    assert await rows(notifications, NotificationsView) == live_notifications
    assert (await count(finance, Pairing), await count(notifications, Assignment)) == (pairings, assignments)
