"""``srdi rebuild-projection eligibility``: the facts projection rebuilt from the registry's event
history on Kafka (earliest offset on) equals the one the live consumer built — a damaged or stray row
is gone, a poison event is skipped and counted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.eligibility.app import DEFINITION as ELIGIBILITY
from services.eligibility.persistence.tables import FactsProjection
from services.eligibility.usecases.rebuild import rebuild_projection
from services.registry.app import DEFINITION as REGISTRY
from shared.events.catalogue import EnterpriseRegistered
from shared.events.envelope import Envelope, topic_for_source
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import Backend
from tests.support.builders import enterprise, financials
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def projection(runtime: ServiceRuntime) -> dict[str, tuple[int, Any]]:
    async with runtime.uow() as uow:
        rows = (await uow.session.execute(select(FactsProjection))).scalars().all()
        return {r.uscc: (r.snapshot_version, r.snapshot) for r in rows}


@pytest.mark.parametrize("backend", ["kafka"], indirect=True)
async def test_the_rebuilt_projection_equals_the_live_one(start_runtime: Any, backend: Backend) -> None:
    registry = await start_runtime(REGISTRY, settings={"registry_demo_count": 0})
    eligibility = await start_runtime(ELIGIBILITY)
    token = sign_identity(Principal(Role.ADMIN, None, "test"), registry.settings.internal_signing_key)
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_service_app(registry, manage_lifecycle=False)),
                              base_url="http://registry", headers={IDENTITY_HEADER: token})  # fmt: skip
    usccs = []
    for serial in (5101, 5102, 5103):
        body = enterprise(serial)
        usccs.append(body["uscc"])
        assert (await admin.post("/api/v1/registry/enterprises", json=body)).status_code == 201
    for year in (2024, 2025):
        url = f"/api/v1/registry/enterprises/{usccs[0]}/financials/{year}"
        assert (await admin.put(url, json=financials())).status_code == 201
    poison = Envelope(source="registry", type=EnterpriseRegistered.TYPE, subject=usccs[1], data={"uscc": usccs[1]})
    await eligibility.bus.publish(topic_for_source("registry"), [poison])
    live = await eventually(lambda: projection(eligibility), lambda p: len(p) == 3 and p[usccs[0]][0] == 3,
                            what="the live projection")  # fmt: skip

    async with eligibility.uow() as uow:  # damage it: a stale row, a missing row, a stray row
        row = await uow.session.get(FactsProjection, usccs[0])
        assert row is not None
        row.snapshot_version, row.snapshot = 1, {}
        uow.session.add(row)
        gone = await uow.session.get(FactsProjection, usccs[2])
        await uow.session.delete(gone)
        uow.session.add(FactsProjection(uscc="91530102STRAY0000X", name="stray", prefecture_code="5301",
                                        snapshot={}, snapshot_version=9, updated_at=datetime.now(UTC)))  # fmt: skip
        await uow.commit()
    assert await projection(eligibility) != live

    async with eligibility.uow() as uow:
        report = await rebuild_projection(eligibility.settings, uow)
    assert (report.events, report.skipped, report.rows) == (6, 1, 3), report
    assert await projection(eligibility) == live
