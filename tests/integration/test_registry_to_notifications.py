"""Registry → eligibility → notifications over the bus (both backends; on Kafka + PostgreSQL
through the real broker): a registered enterprise gets an officer, registry and eligibility learn it
from ``officer.assigned`` (the officer may now read the enterprise there), and a financial report
that makes the enterprise eligible for a tier ends as exactly one inbox item for its officer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.notifications.app import DEFINITION as NOTIFICATIONS
from services.notifications.persistence.tables import Assignment, Message
from services.registry.app import DEFINITION as REGISTRY
from shared.events.catalogue import TierChanged
from shared.events.envelope import Envelope
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import Backend
from tests.support.builders import enterprise, financials
from tests.support.notifications import KUNMING, add_officers
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
YEAR = 2025


def as_(runtime: ServiceRuntime, role: Role, tenant: str | None = None) -> httpx.AsyncClient:
    token = sign_identity(Principal(role, tenant, "test"), runtime.settings.internal_signing_key)
    app = create_service_app(runtime, manage_lifecycle=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc",
                             headers={IDENTITY_HEADER: token})  # fmt: skip


async def officer_of(runtime: ServiceRuntime, uscc: str) -> str | None:
    async with runtime.uow() as uow:
        row = (
            await uow.session.exec(
                select(Assignment).where(Assignment.uscc == uscc, col(Assignment.ended_at).is_(None))
            )
        ).first()
        return row.officer_id if row else None


async def inbox_of(runtime: ServiceRuntime, recipient: str) -> list[Message]:
    async with runtime.uow() as uow:
        return list(await uow.session.exec(select(Message).where(Message.recipient == recipient)))


async def tier_changes(runtime: ServiceRuntime, uscc: str) -> list[str]:
    async with runtime.uow() as uow:
        table = runtime.definition.tables.outbox
        rows = (await uow.session.execute(select(table.c.envelope).where(table.c.type == TierChanged.TYPE))).scalars()
        return [e.id for e in map(Envelope.model_validate_json, rows) if e.subject == uscc]


async def applied_by(runtime: ServiceRuntime, event_ids: list[str]) -> set[str]:
    async with runtime.uow() as uow:
        inbox = runtime.definition.tables.inbox
        rows = await uow.session.execute(select(inbox.c.event_id).where(col(inbox.c.event_id).in_(event_ids)))
        return set(rows.scalars())


async def test_a_report_making_an_enterprise_eligible_ends_as_one_inbox_item_for_its_officer(
    start_runtime: Any, backend: Backend
) -> None:
    eligibility = await start_runtime(ELIGIBILITY, settings={"eligibility_assessment_year": YEAR})
    notifications = await start_runtime(
        NOTIFICATIONS, settings={"notifications_demo": False, "notifications_background": False}
    )
    await add_officers(notifications, ("officer-k1", KUNMING, 50), ("officer-k2", KUNMING, 50))
    registry = await start_runtime(REGISTRY, settings={"registry_demo_count": 0})
    body = enterprise(7301, rd_institutions=[])
    uscc = body["uscc"]
    async with as_(registry, Role.ADMIN) as admin:
        assert (await admin.post("/api/v1/registry/enterprises", json=body)).status_code == 201
        for year, rd in ((2023, 300_000), (2024, 430_000)):  # R&D intensity too low for the innovative SME tier
            put = await admin.put(f"/api/v1/registry/enterprises/{uscc}/financials/{year}",
                                  json=financials(revenue=86_000_000, rd=rd))  # fmt: skip
            assert put.status_code == 201
    officer = await eventually(lambda: officer_of(notifications, uscc), lambda o: o is not None, what="an officer")
    assert officer is not None
    other = "officer-k2" if officer == "officer-k1" else "officer-k1"

    # The officer reads the enterprise in registry and eligibility once their projections have it.
    async with as_(registry, Role.OFFICER, officer) as mine, as_(registry, Role.OFFICER, other) as theirs:
        url = f"/api/v1/registry/enterprises/{uscc}"
        await eventually(lambda: mine.get(url), lambda r: r.status_code == 200, what="registry read by the officer")
        assert (await theirs.get(url)).status_code == 403
        assert (await mine.put(f"{url}/financials/2024", json=financials())).status_code == 403, "read only"
    async with as_(eligibility, Role.OFFICER, officer) as mine, as_(eligibility, Role.OFFICER, other) as theirs:
        url = f"/api/v1/eligibility/enterprises/{uscc}/assessment"
        await eventually(lambda: mine.get(url), lambda r: r.status_code == 200, what="eligibility read by the officer")
        assert (await theirs.get(url)).status_code == 403
    assert await inbox_of(notifications, f"officer:{officer}") == [], "not eligible yet: nothing to say"

    async with as_(registry, Role.ADMIN) as admin:
        strong = financials(revenue=86_000_000, rd=4_300_000)  # 5%: the innovative SME tier is reached
        put = await admin.put(f"/api/v1/registry/enterprises/{uscc}/financials/2024", json=strong)
        assert put.status_code == 200

    items = await eventually(lambda: inbox_of(notifications, f"officer:{officer}"), lambda rows: len(rows) >= 1,
                             what="the officer's inbox item")  # fmt: skip
    # Every tier change eligibility published has been applied by notifications: nothing more is coming.
    await eventually(eligibility.relay.pending_count, lambda n: n == 0, what="eligibility outbox drained")
    changes = await tier_changes(eligibility, uscc)
    await eventually(lambda: applied_by(notifications, changes), lambda seen: seen == set(changes),
                     what="every tier_changed applied by notifications")  # fmt: skip
    items = await inbox_of(notifications, f"officer:{officer}")
    assert len(items) == 1, [i.title for i in items]
    [item] = items
    assert item.rule_id == "tier_eligible" and item.uscc == uscc and "创新型中小企业" in item.title_zh
    async with as_(notifications, Role.OFFICER, officer) as mine:
        page = (await mine.get("/api/v1/notifications/inbox")).json()
    assert [i["id"] for i in page["items"]] == [item.id] and page["unread"] == 1
