"""Helpers for notifications tests: a runtime of its own (SQLite, in-process bus, no background
loops — the tests drive delivery, schedules and digests with a clock of their own), envelopes as
the other services publish them, and a signed client per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from services.notifications.app import DEFINITION
from services.notifications.config import NotificationsSettings
from services.notifications.persistence.tables import Officer
from shared.events.catalogue import EnterpriseRegistered, EnterpriseSnapshot, RecognitionHeld, TierChanged
from shared.events.envelope import Envelope
from shared.events.inprocess import InProcessBus
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import TEST_SIGNING_KEY
from tests.support.builders import credit_code

KUNMING = "5301"


@asynccontextmanager
async def notifications_runtime(tmp_path: Path, **overrides: Any) -> AsyncIterator[ServiceRuntime]:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'srdi.db'}", "internal_signing_key": TEST_SIGNING_KEY,
        "notifications_demo": False, "notifications_background": False, "consumer_backoff_seconds": 0.01,
        "consumer_max_attempts": 2, "relay_poll_seconds": 0.05,
    } | overrides  # fmt: skip
    bus = InProcessBus()
    runtime = ServiceRuntime(DEFINITION, NotificationsSettings(**values), bus, run_relay=False)
    await bus.start()
    await runtime.start()
    await bus.start_consumers()
    try:
        yield runtime
    finally:
        await runtime.stop()
        await bus.stop()


def client(runtime: ServiceRuntime, role: Role, tenant: str | None = None) -> httpx.AsyncClient:
    token = sign_identity(Principal(role, tenant, f"test-{role}"), TEST_SIGNING_KEY)
    app = create_service_app(runtime, manage_lifecycle=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications",
                             headers={IDENTITY_HEADER: token})  # fmt: skip


async def add_officers(runtime: ServiceRuntime, *officers: tuple[str, str, int]) -> None:
    """(id, prefecture, capacity) each."""
    async with runtime.uow() as uow:
        for officer_id, prefecture, capacity in officers:
            uow.session.add(Officer(id=officer_id, name=f"服务员{officer_id}", organisation="昆明市中小企业服务中心",
                                    prefecture_code=prefecture, phone="13900000000", email=f"{officer_id}@example.cn",
                                    capacity=capacity, created_at=datetime.now(UTC)))  # fmt: skip
        await uow.commit()


def snapshot(serial: int, county: str = "530102", **overrides: Any) -> EnterpriseSnapshot:
    values: dict[str, Any] = {
        "uscc": credit_code(serial, county), "name": f"云南测试精密制造有限公司{serial}", "prefecture_code": county[:4],
        "county_code": county, "industry_code": "C3985", "contact_email": f"e{serial}@example.cn",
    } | overrides  # fmt: skip
    return EnterpriseSnapshot(**values)


def registered(serial: int, county: str = "530102", **overrides: Any) -> Envelope:
    snap = snapshot(serial, county, **overrides)
    return EnterpriseRegistered(uscc=snap.uscc, enterprise=snap).to_envelope()


def srdi_recognition(valid_to: date, tier: str = "srdi_sme") -> RecognitionHeld:
    return RecognitionHeld(tier=tier, level="provincial", valid_from=date(valid_to.year - 3, valid_to.month, 1),
                           valid_to=valid_to)  # fmt: skip


def tier_changed(uscc: str, eligible: bool, previously: bool | None, tier: str = "innovative_sme") -> Envelope:
    return TierChanged(
        uscc=uscc,
        tier=tier,
        eligible=eligible,
        previously_eligible=previously,
        rule_set=f"{tier}@2022-06-01",
        assessment_id="a-1",
        prefecture_code=uscc[2:6],
    ).to_envelope()


def finance_envelope(kind: str, uscc: str, **data: Any) -> Envelope:
    """A finance_match event as its catalogue names it (built by hand: that catalogue lands in parallel)."""
    body = {
        "uscc": uscc,
        "need_id": "need-1",
        "prefecture_code": uscc[2:6],
        "state": kind.split(".")[-1],
        "bank_id": "bank-ynrcc",
        "amount": "5000000.00",
        "occurred_at": datetime.now(UTC).isoformat(),
    } | data
    return Envelope(source="/srdi/finance_match", type=f"srdi.finance.{kind}.v1", subject=uscc, data=body)
