"""The webhook channel: a recipient subscribes, a notice goes out signed per Standard Webhooks
(through the shared mechanism, ``shared/webhooks.py``) to a real HTTP receiver on 127.0.0.1, and
the independent ``standardwebhooks`` verifier accepts it; redelivery sends nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from services.notifications.delivery import deliver_due
from services.notifications.dispatch import Dispatcher
from shared.identity import Role
from tests.support.notifications import KUNMING, add_officers, client, notifications_runtime, registered, tier_changed
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_enterprise_notice_reaches_its_webhook_signed_and_once(tmp_path: Path) -> None:
    with WebhookReceiver(fail_first=1) as receiver:
        async with notifications_runtime(tmp_path, notifications_webhook_schedule=(0, 0.2, 0.2)) as runtime:
            settings: Any = runtime.settings
            await add_officers(runtime, ("officer-w", KUNMING, 10))
            await runtime.consumer.deliver(registered(1, contact_email=None))
            uscc = registered(1).subject
            async with client(runtime, Role.ENTERPRISE, uscc) as enterprise:
                created = await enterprise.post("/api/v1/notifications/webhooks", json={"url": receiver.url})
                assert created.status_code == 201, created.text
                subscription = created.json()
                assert subscription["secret"].startswith("whsec_")
            now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
            event = tier_changed(uscc, True, False)
            async with runtime.uow() as uow:
                await Dispatcher(settings).notify(uow, event.id, event.type, event.data, now)
                await uow.commit()
            channels = runtime.state["channels"]
            assert await deliver_due(runtime.uow, channels, settings, now) == 2  # officer email + enterprise webhook
            worker = runtime.state["webhook_worker"]
            await worker.deliver_due()  # the receiver answers 503 first: retried by the shared schedule
            await eventually(lambda: _pass(worker), lambda _: len(receiver.accepted()) == 1, timeout=20,
                             what="the signed webhook accepted")  # fmt: skip
            async with runtime.uow() as uow:  # the same event once more: no second webhook
                await Dispatcher(settings).notify(uow, event.id, event.type, event.data, now)
                await uow.commit()
            assert await deliver_due(runtime.uow, channels, settings, now) == 0
            async with client(runtime, Role.ENTERPRISE, uscc) as enterprise:
                log = (await enterprise.get(f"/api/v1/notifications/webhooks/{subscription['id']}/deliveries")).json()
            assert [d["state"] for d in log] == ["succeeded"] and log[0]["attempts"] == 2
            async with client(runtime, Role.ENTERPRISE, registered(2).subject) as stranger:
                other = await stranger.get(f"/api/v1/notifications/webhooks/{subscription['id']}/deliveries")
                assert other.status_code == 404
    [accepted] = receiver.accepted()
    Webhook(subscription["secret"]).verify(accepted.body, accepted.headers)  # raises when the signature is wrong
    payload = json.loads(accepted.body)
    assert payload["type"] == "srdi.notifications.message.v1" and payload["uscc"] == uscc
    assert payload["rule_id"] == "tier_eligible" and "创新型中小企业" in payload["title_zh"]
    assert len({r.headers["webhook-id"] for r in receiver.all()}) == 1, "the retry carries the same message id"


async def _pass(worker: Any) -> int:
    return int(await worker.deliver_due())
