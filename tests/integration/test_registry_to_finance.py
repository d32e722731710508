"""Registry → finance_match → a bank, over the bus (both backends; on Kafka + PostgreSQL through the
real broker): an SRDI enterprise registered in the registry gets a paired bank; the need it posts
reaches that bank's pull feed and its webhook exactly once (signature verified by the independent
``standardwebhooks``); an ``eligibility.tier_changed`` event on the eligibility topic re-ranks the
open need (here published as the eligibility service would, to make the little-giant tier flip)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from services.finance_match.app import DEFINITION as FINANCE_MATCH
from services.registry.app import DEFINITION as REGISTRY
from shared.events.catalogue import TierChanged
from shared.events.envelope import topic_for_source
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from shared.service import ServiceRuntime, create_service_app
from tests.conftest import Backend
from tests.support.builders import KUNMING_WUHUA, enterprise
from tests.support.finance import FINANCE, bank_body, need_body, product_body
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


def client(runtime: ServiceRuntime, role: Role, tenant: str | None = None) -> httpx.AsyncClient:
    token = sign_identity(Principal(role, tenant, "test"), runtime.settings.internal_signing_key)
    app = create_service_app(runtime, manage_lifecycle=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc",
                             headers={IDENTITY_HEADER: token})  # fmt: skip


async def test_a_need_reaches_the_paired_bank_once_and_a_tier_change_reranks_it(
    start_runtime: Any, backend: Backend
) -> None:
    finance = await start_runtime(FINANCE_MATCH, settings={
        "finance_match_demo": False, "finance_match_webhook_poll_seconds": 0.05,
        "finance_match_webhook_schedule": [0, 0.05, 0.1, 0.2],
        "finance_match_webhook_allow_private_urls": True,  # the receiver is on 127.0.0.1
    })  # fmt: skip
    registry = await start_runtime(REGISTRY, settings={"registry_demo_count": 0})
    admin = client(finance, Role.ADMIN)
    bank = client(finance, Role.BANK, "bank-a")
    assert (await admin.post(f"{FINANCE}/banks", json=bank_body("bank-a", ["5301"]))).status_code == 201
    assert (await admin.post(f"{FINANCE}/banks", json=bank_body("bank-z", ["5301"]))).status_code == 201
    general = (await bank.post(f"{FINANCE}/banks/bank-a/products", json=product_body("通用贷"))).json()
    giant_body = product_body("小巨人贷", tiers=["little_giant"], spread_min="-0.30")
    giant = (
        await client(finance, Role.BANK, "bank-z").post(f"{FINANCE}/banks/bank-z/products", json=giant_body)
    ).json()

    body = enterprise(8801, county=KUNMING_WUHUA)
    uscc = body["uscc"]
    registry_admin = client(registry, Role.ADMIN)
    assert (await registry_admin.post("/api/v1/registry/enterprises", json=body)).status_code == 201
    recognition = {
        "tier": "srdi_sme",
        "level": "provincial",
        "valid_from": (date.today() - timedelta(days=10)).isoformat(),
    }
    assert (
        await registry_admin.post(f"/api/v1/registry/enterprises/{uscc}/recognitions", json=recognition)
    ).status_code == 201

    async def pairing() -> httpx.Response:
        return await admin.get(f"{FINANCE}/pairings/{uscc}")

    paired = await eventually(pairing, lambda r: r.status_code == 200 and r.json()["bank_id"] is not None,
                              what="the paired bank")  # fmt: skip
    assert paired.json()["bank_id"] == "bank-a"  # equal load: the lowest bank id

    with WebhookReceiver(fail_first=1) as receiver:
        sub = (await bank.post(f"{FINANCE}/feed/webhooks", json={"url": receiver.url})).json()
        posted = await client(finance, Role.ENTERPRISE, uscc).post(f"{FINANCE}/needs", json=need_body())
        assert posted.status_code == 201, posted.text
        need_id = posted.json()["need_id"]
        await eventually(lambda: _now(receiver.accepted()), lambda r: len(r) >= 1, what="the webhook")
        await eventually(finance.relay.pending_count, lambda n: n == 0, what="finance outbox drained")
        deliveries = await eventually(
            lambda: _json(bank.get(f"{FINANCE}/feed/webhooks/{sub['id']}/deliveries")),
            lambda d: all(x["state"] == "succeeded" for x in d), what="deliveries settled",
        )  # fmt: skip
        shared = [Webhook(sub["secret"]).verify(r.body, r.headers) for r in receiver.accepted()]
        assert [p["data"]["need"]["need_id"] for p in shared if p["type"] == "finance.need.shared"] == [need_id]
        assert len(deliveries) == 1 and len(receiver.accepted()) == 1
        feed = (await bank.get(f"{FINANCE}/feed")).json()["items"]
        assert [(i["type"], i["need"]["need_id"]) for i in feed] == [("need.shared", need_id)]
        assert feed[0]["need"]["enterprise"]["uscc"] == uscc

        before = (await admin.get(f"{FINANCE}/needs/{need_id}/matches")).json()["matches"]
        assert [m["product_id"] for m in before] == [general["product_id"]]

        # Eligibility finds the enterprise a little giant: its open need is re-ranked.
        change = TierChanged(
            uscc=uscc, tier="little_giant", eligible=True, previously_eligible=False, rule_set="little_giant@test",
            assessment_id=str(uuid.uuid4()), prefecture_code="5301",
        )  # fmt: skip
        bus = backend.new_bus()
        if backend.is_kafka:
            await bus.start()
            await bus.ensure_topics([topic_for_source("eligibility")])
        try:
            await bus.publish(topic_for_source("eligibility"), [change.to_envelope()])
        finally:
            if backend.is_kafka:
                await bus.stop()

        async def ranking() -> list[str]:
            matches = (await admin.get(f"{FINANCE}/needs/{need_id}/matches")).json()["matches"]
            return [m["product_id"] for m in matches]

        # The paired bank's product keeps the lead (paired-bank preference); the little-giant product joins.
        reranked = await eventually(ranking, lambda r: len(r) == 2, what="the re-ranked need")
        assert reranked == [general["product_id"], giant["product_id"]]
        need = (await admin.get(f"{FINANCE}/needs/{need_id}")).json()
        assert need["state"] == "matched" and {s["bank_id"] for s in need["shared_with"]} == {"bank-a", "bank-z"}
        # The paired bank is not sent the need a second time.
        await eventually(finance.relay.pending_count, lambda n: n == 0, what="finance outbox drained")
        assert [i["type"] for i in (await bank.get(f"{FINANCE}/feed")).json()["items"]] == ["need.shared"]
        assert len(receiver.accepted()) == 1


async def _now(value: Any) -> Any:
    return value


async def _json(request: Any) -> Any:
    return (await request).json()
