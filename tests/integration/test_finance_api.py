"""finance_match through the gateway (embedded platform): the need's life cycle over the API, tenancy
(banks, enterprises, prefecture operators), consent, the signed webhook feed with rotation and replay,
deadlines, statistics and the XLSX export."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from services.finance_match.domain.matching import BankRecord
from services.finance_match.persistence.tables import Need, NeedShare
from services.finance_match.usecases.jobs import check_deadlines_once
from services.finance_match.usecases.needs import bank_records
from shared.identity import Role
from tests.support.builders import HONGHE_GEJIU, KUNMING_WUHUA
from tests.support.finance import FINANCE, bank_body, need_body, product_body, register_srdi, wait_paired
from tests.support.platform import RunningPlatform, running_platform
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, finance_match_demo=False, finance_match_webhook_poll_seconds=0.05,
                                finance_match_webhook_schedule=[0, 0.05, 0.1]) as running:  # fmt: skip
        yield running


async def two_banks(platform: RunningPlatform) -> tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient]:
    """bank-a covers Kunming only (the paired bank there), bank-b Honghe only; each one product."""
    admin = await platform.client(Role.ADMIN)
    assert (await admin.post(f"{FINANCE}/banks", json=bank_body("bank-a", ["5301"]))).status_code == 201
    assert (await admin.post(f"{FINANCE}/banks", json=bank_body("bank-b", ["5325"]))).status_code == 201
    a, b = await platform.client(Role.BANK, "bank-a"), await platform.client(Role.BANK, "bank-b")
    assert (await a.post(f"{FINANCE}/banks/bank-a/products", json=product_body("A贷"))).status_code == 201
    created = await b.post(f"{FINANCE}/banks/bank-b/products", json=product_body("B贷", prefectures=["5325"]))
    assert created.status_code == 201
    return admin, a, b


async def post_need(platform: RunningPlatform, uscc: str, **overrides: Any) -> dict[str, Any]:
    enterprise = await platform.client(Role.ENTERPRISE, uscc)
    response = await enterprise.post(f"{FINANCE}/needs", json=need_body(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_the_life_cycle_over_the_api_with_409_naming_the_state(platform: RunningPlatform) -> None:
    admin, bank_a, _ = await two_banks(platform)
    uscc = await register_srdi(admin, 7101, KUNMING_WUHUA)
    assert await wait_paired(admin, uscc) == "bank-a"
    need = await post_need(platform, uscc)
    assert need["state"] == "matched" and [s["bank_id"] for s in need["shared_with"]] == ["bank-a"]
    nid = need["need_id"]
    early = await bank_a.post(f"{FINANCE}/needs/{nid}/disburse", json={"amount": "1.00", "disbursed_on": "2026-12-01"})
    assert early.status_code == 409 and early.headers["content-type"].startswith("application/problem+json")
    assert "matched" in early.json()["detail"] and "已匹配" in early.json()["detail_zh"]
    assert (await bank_a.post(f"{FINANCE}/needs/{nid}/accept")).json()["state"] == "accepted"
    assert (await bank_a.post(f"{FINANCE}/needs/{nid}/accept")).status_code == 409
    approved = await bank_a.post(f"{FINANCE}/needs/{nid}/approve",
                                 json={"amount": "1800000.00", "rate": "3.45", "term_months": 24})  # fmt: skip
    assert approved.json()["state"] == "approved" and approved.json()["approved_amount"] == "1800000.00"
    paid = await bank_a.post(
        f"{FINANCE}/needs/{nid}/disburse", json={"amount": "1800000.00", "disbursed_on": "2026-12-02"}
    )
    assert paid.json()["state"] == "disbursed"
    enterprise = await platform.client(Role.ENTERPRISE, uscc)
    late = await enterprise.post(f"{FINANCE}/needs/{nid}/withdraw")
    assert late.status_code == 409 and "disbursed" in late.json()["detail"]
    summary = (await admin.get(f"{FINANCE}/enterprises/{uscc}/summary")).json()
    assert summary["paired_bank"] == {"bank_id": "bank-a", "name": "测试银行 bank-a"}
    assert summary["disbursed_total"] == "1800000.00" and summary["open_needs"] == 0
    # One event per transition, in order (read from the outbox, as the relay publishes them).
    runtime = platform.platform.runtimes["finance_match"]
    async with runtime.uow() as uow:
        outbox = runtime.definition.tables.outbox
        rows = (
            await uow.session.execute(select(outbox.c.type).where(outbox.c.subject == uscc).order_by(outbox.c.id))
        ).all()
        assert await bank_records(uow) == {"bank-a": BankRecord(responses=1, on_time=1)}
    expected = ["pairing.assigned", "need.posted", "need.matched", "need.accepted", "need.approved", "need.disbursed"]
    assert [t.removeprefix("srdi.finance.").removesuffix(".v1") for (t,) in rows] == expected
    stats = (await admin.get(f"{FINANCE}/stats")).json()
    assert stats["funnel"] | {} == {"posted": 1, "matched": 1, "accepted": 1, "approved": 1, "disbursed": 1,
                                    "declined": 0, "withdrawn": 0, "expired": 0}  # fmt: skip
    assert stats["amounts"] == {"requested": "2000000.00", "approved": "1800000.00", "disbursed": "1800000.00"}
    assert stats["by_bank"][0]["bank_id"] == "bank-a" and stats["by_bank"][0]["accepted"] == 1


async def test_a_need_declined_by_every_bank_is_declined_and_a_withdrawal_ends_another(
    platform: RunningPlatform,
) -> None:
    admin, bank_a, _ = await two_banks(platform)
    uscc = await register_srdi(admin, 7102, KUNMING_WUHUA)
    await wait_paired(admin, uscc)
    need = await post_need(platform, uscc)
    declined = await bank_a.post(f"{FINANCE}/needs/{need['need_id']}/decline", json={"reason_code": "credit_risk"})
    assert declined.json()["state"] == "declined" and declined.json()["your_response"] == "declined"
    enterprise = await platform.client(Role.ENTERPRISE, uscc)
    assert (await enterprise.get(f"{FINANCE}/needs/{need['need_id']}")).json()["decline_reason"] == "credit_risk"
    bad = await bank_a.post(f"{FINANCE}/needs/{need['need_id']}/decline", json={"reason_code": "no-such-reason"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason_code"
    other = await post_need(platform, uscc)
    assert (await enterprise.post(f"{FINANCE}/needs/{other['need_id']}/withdraw")).json()["state"] == "withdrawn"


async def test_tenancy_banks_enterprises_and_operators_see_only_their_own(platform: RunningPlatform) -> None:
    admin, bank_a, bank_b = await two_banks(platform)
    km = await register_srdi(admin, 7201, KUNMING_WUHUA)
    hh = await register_srdi(admin, 7202, HONGHE_GEJIU)
    assert await wait_paired(admin, km) == "bank-a" and await wait_paired(admin, hh) == "bank-b"
    km_need = await post_need(platform, km)
    hh_need = await post_need(platform, hh)
    # Products: B sees A's product but not its private fields; A sees its own in full.
    a_product = next(p for p in (await bank_b.get(f"{FINANCE}/products")).json() if p["bank_id"] == "bank-a")
    assert "internal_notes" not in a_product and "monthly_quota" not in a_product
    own = next(p for p in (await bank_a.get(f"{FINANCE}/products")).json() if p["bank_id"] == "bank-a")
    assert own["internal_notes"] == "内部审批口径"
    edit = await bank_b.put(f"{FINANCE}/products/{a_product['product_id']}", json=product_body("劫持"))
    assert edit.status_code == 403
    assert (await bank_b.post(f"{FINANCE}/banks/bank-a/products", json=product_body())).status_code == 403
    # Needs: each bank sees only what was shared with it, and cannot answer the other's.
    assert [n["need_id"] for n in (await bank_a.get(f"{FINANCE}/needs")).json()["data"]] == [km_need["need_id"]]
    assert (await bank_b.get(f"{FINANCE}/needs/{km_need['need_id']}")).status_code == 404
    assert (await bank_b.post(f"{FINANCE}/needs/{km_need['need_id']}/accept")).status_code == 404
    assert [i["need"]["need_id"] for i in (await bank_b.get(f"{FINANCE}/feed")).json()["items"]] == [hh_need["need_id"]]
    assert (await bank_b.get(f"{FINANCE}/needs/{km_need['need_id']}/matches")).status_code == 404
    # Enterprises: only their own needs.
    km_client = await platform.client(Role.ENTERPRISE, km)
    assert [n["need_id"] for n in (await km_client.get(f"{FINANCE}/needs")).json()["data"]] == [km_need["need_id"]]
    assert (await km_client.get(f"{FINANCE}/needs/{hh_need['need_id']}")).status_code == 404
    assert (await km_client.post(f"{FINANCE}/needs/{hh_need['need_id']}/withdraw")).status_code == 404
    assert (await km_client.get(f"{FINANCE}/enterprises/{hh}/summary")).status_code == 404
    assert (await km_client.get(f"{FINANCE}/stats")).status_code == 403
    # A bank's responses stay its own: B never sees that A accepted, nor A's outcome.
    await bank_a.post(f"{FINANCE}/needs/{km_need['need_id']}/accept")
    assert (await bank_a.get(f"{FINANCE}/needs/{km_need['need_id']}")).json()["your_response"] == "accepted"
    # Prefecture operators: only their prefecture.
    honghe = await platform.client(Role.PREFECTURE_OPERATOR, "5325")
    assert [n["need_id"] for n in (await honghe.get(f"{FINANCE}/needs")).json()["data"]] == [hh_need["need_id"]]
    assert (await honghe.get(f"{FINANCE}/needs/{km_need['need_id']}")).status_code == 404
    scoped = (await honghe.get(f"{FINANCE}/stats")).json()
    assert [p["prefecture_code"] for p in scoped["by_prefecture"]] == ["5325"] and scoped["funnel"]["posted"] == 1
    assert (await honghe.get(f"{FINANCE}/enterprises/{km}/summary")).status_code == 404
    # Only an enterprise posts needs.
    assert (await bank_a.post(f"{FINANCE}/needs", json=need_body())).status_code == 403


async def test_contact_data_only_where_the_enterprise_consented(platform: RunningPlatform) -> None:
    admin, bank_a, bank_b = await two_banks(platform)
    # bank-b gets a Kunming branch and a product there, but bank-a stays the paired bank.
    uscc = await register_srdi(admin, 7301, KUNMING_WUHUA)
    assert await wait_paired(admin, uscc) == "bank-a"
    await admin.post(f"{FINANCE}/banks/bank-b/branches", json={"prefecture_code": "5301", "name": "B 昆明分行"})
    await bank_b.post(f"{FINANCE}/banks/bank-b/products", json=product_body("B昆明贷", spread_min="-0.20"))
    need = await post_need(platform, uscc, consent="paired_bank_only")
    assert {s["bank_id"] for s in need["shared_with"]} == {"bank-a", "bank-b"}
    seen_by_a = (await bank_a.get(f"{FINANCE}/needs/{need['need_id']}")).json()
    seen_by_b = (await bank_b.get(f"{FINANCE}/needs/{need['need_id']}")).json()
    assert seen_by_a["enterprise"]["uscc"] == uscc and seen_by_a["enterprise"]["contact_phone"] == "0871-65000000"
    assert seen_by_b["enterprise"] is None and uscc not in str(seen_by_b)
    # Once A accepts, B sees the need closed — not who took it, nor A's terms.
    await bank_a.post(f"{FINANCE}/needs/{need['need_id']}/accept")
    await bank_a.post(f"{FINANCE}/needs/{need['need_id']}/approve",
                      json={"amount": "1000000.00", "rate": "3.30", "term_months": 12})  # fmt: skip
    closed = (await bank_b.get(f"{FINANCE}/needs/{need['need_id']}")).json()
    assert closed["state"] == "closed" and closed["your_response"] is None
    assert "bank-a" not in str(closed) and "approved_amount" not in closed and "3.30" not in str(closed)
    late = await bank_b.post(f"{FINANCE}/needs/{need['need_id']}/accept")
    assert late.status_code == 409 and late.json()["code"] == "need-closed" and "approved" not in late.text
    assert (await bank_b.post(f"{FINANCE}/needs/{need['need_id']}/decline", json={"reason_code": "other"})).json()[
        "code"
    ] == "need-closed"


async def test_the_webhook_feed_is_signed_rotated_and_replayed_from_a_cursor(platform: RunningPlatform) -> None:
    admin, bank_a, _ = await two_banks(platform)
    uscc = await register_srdi(admin, 7401, KUNMING_WUHUA)
    await wait_paired(admin, uscc)
    with WebhookReceiver(fail_first=1) as receiver:
        sub = (await bank_a.post(f"{FINANCE}/feed/webhooks", json={"url": receiver.url})).json()
        assert sub["secret"].startswith("whsec_")
        listed = (await bank_a.get(f"{FINANCE}/feed/webhooks")).json()
        assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]
        need = await post_need(platform, uscc)
        accepted = await eventually(lambda: _async(receiver.accepted()), lambda r: len(r) == 1, what="one webhook")
        first = accepted[0]
        payload = Webhook(sub["secret"]).verify(first.body, first.headers)
        assert payload["type"] == "finance.need.shared" and payload["data"]["need"]["need_id"] == need["need_id"]
        assert [r.status for r in receiver.all()] == [503, 200]
        log = (await bank_a.get(f"{FINANCE}/feed/webhooks/{sub['id']}/deliveries")).json()
        attempts = (await bank_a.get(f"{FINANCE}/feed/webhooks/{sub['id']}/deliveries/{log[0]['id']}/attempts")).json()
        assert [a["status_code"] for a in attempts] == [503, 200]
        # Rotation: the next message is signed with both secrets.
        rotated = (await bank_a.post(f"{FINANCE}/feed/webhooks/{sub['id']}/rotate", json={"grace_hours": 1})).json()
        # Replay from the cursor before the first entry: the same message again, under the new secrets.
        replayed = await bank_a.post(f"{FINANCE}/feed/webhooks/{sub['id']}/replay", json={"after": 0})
        assert replayed.json() == {"replayed": 1}
        again = await eventually(lambda: _async(receiver.accepted()), lambda r: len(r) == 2, what="the replay")
        assert again[1].headers["webhook-id"] == first.headers["webhook-id"]
        Webhook(rotated["secret"]).verify(again[1].body, again[1].headers)
        Webhook(sub["secret"]).verify(again[1].body, again[1].headers)
        pulled = (await bank_a.get(f"{FINANCE}/feed", params={"cursor": "0"})).json()
        assert [i["cursor"] for i in pulled["items"]] == [first.headers["webhook-id"].removeprefix("fe_")]
        assert (await bank_a.get(f"{FINANCE}/feed", params={"cursor": pulled["next_cursor"]})).json()["items"] == []
        bank_b = await platform.client(Role.BANK, "bank-b")
        assert (await bank_b.post(f"{FINANCE}/feed/webhooks/{sub['id']}/replay", json={"after": 0})).status_code == 404


async def _async(value: Any) -> Any:
    return value


async def test_an_overdue_share_emits_once_and_shows_in_stats_and_export(platform: RunningPlatform) -> None:
    admin, _, _ = await two_banks(platform)
    uscc = await register_srdi(admin, 7501, KUNMING_WUHUA)
    await wait_paired(admin, uscc)
    need = await post_need(platform, uscc)
    runtime = platform.platform.runtimes["finance_match"]
    async with runtime.uow() as uow:
        share = (await uow.session.exec(select(NeedShare).where(NeedShare.need_id == need["need_id"]))).one()
        share.shared_on = date.today() - timedelta(days=20)
        share.due_on = date.today() - timedelta(days=10)
        uow.session.add(share)
        await uow.commit()
    assert await check_deadlines_once(runtime) == (1, 0)
    assert await check_deadlines_once(runtime) == (0, 0)  # once only
    bank_a = await platform.client(Role.BANK, "bank-a")
    assert (await bank_a.get(f"{FINANCE}/needs/{need['need_id']}")).json()["overdue"] is True
    stats = (await admin.get(f"{FINANCE}/stats")).json()
    assert stats["overdue"] == 1 and stats["by_bank"][0]["overdue"] == 1
    export = await admin.get(f"{FINANCE}/stats/export.xlsx")
    book = load_workbook(io.BytesIO(export.content))
    assert "银行响应" in book.sheetnames
    rows = list(book["银行响应"].iter_rows(values_only=True))
    assert rows[0][0] == "排名" and rows[1][1] == "bank-a" and rows[1][-1] == 1


async def test_pairing_change_requests_overrides_history_and_coverage(platform: RunningPlatform) -> None:
    admin, bank_a, _ = await two_banks(platform)
    await admin.post(f"{FINANCE}/banks", json=bank_body("bank-c", ["5301"]))
    uscc = await register_srdi(admin, 7601, KUNMING_WUHUA)
    assert await wait_paired(admin, uscc) == "bank-a"
    enterprise = await platform.client(Role.ENTERPRISE, uscc)
    asked = await enterprise.post(f"{FINANCE}/pairings/{uscc}/change-requests", json={"reason": "希望更换为本地银行"})
    assert asked.status_code == 201
    kunming = await platform.client(Role.PREFECTURE_OPERATOR, "5301")
    honghe = await platform.client(Role.PREFECTURE_OPERATOR, "5325")
    assert [r["uscc"] for r in (await kunming.get(f"{FINANCE}/pairings/change-requests")).json()] == [uscc]
    assert (await honghe.get(f"{FINANCE}/pairings/change-requests")).json() == []
    assert (await honghe.post(f"{FINANCE}/pairings/{uscc}/override", json={})).status_code == 404
    assert (await enterprise.post(f"{FINANCE}/pairings/{uscc}/override", json={})).status_code == 403
    moved = await kunming.post(f"{FINANCE}/pairings/{uscc}/override", json={"note": "企业申请"})
    assert moved.json() == {"uscc": uscc, "bank_id": "bank-c", "reason": "change_request"}
    assert (await kunming.get(f"{FINANCE}/pairings/change-requests")).json() == []
    history = (await enterprise.get(f"{FINANCE}/pairings/{uscc}")).json()["history"]
    assert [(h["bank_id"], h["previous_bank_id"], h["reason"]) for h in history] == [
        ("bank-a", None, "balanced"), ("bank-c", "bank-a", "change_request")]  # fmt: skip
    assert (await bank_a.get(f"{FINANCE}/pairings/{uscc}")).status_code == 404  # no longer its enterprise
    coverage = (await kunming.get(f"{FINANCE}/pairings/coverage")).json()
    assert coverage["prefectures"] == [
        {"prefecture_code": "5301", "srdi_enterprises": 1, "paired": 1, "coverage": "1.0000"}
    ]
    assert (await bank_a.get(f"{FINANCE}/pairings/coverage")).status_code == 403


async def test_distributed_mode_refuses_webhooks_to_internal_addresses(tmp_path: Path) -> None:
    from services.finance_match.config import FinanceMatchSettings

    assert FinanceMatchSettings(mode="distributed", internal_signing_key="x" * 40).webhook_allows_private_urls is False
    assert FinanceMatchSettings(mode="embedded").webhook_allows_private_urls is True
    async with running_platform(tmp_path, finance_match_demo=False,
                                finance_match_webhook_allow_private_urls=False) as running:  # fmt: skip
        admin = await running.client(Role.ADMIN)
        await admin.post(f"{FINANCE}/banks", json=bank_body("bank-a", ["5301"]))
        bank = await running.client(Role.BANK, "bank-a")
        refused = await bank.post(f"{FINANCE}/feed/webhooks", json={"url": "http://169.254.169.254/latest"})
        assert refused.status_code == 422 and refused.json()["code"] == "bad-url"


async def test_a_need_past_its_date_expires_and_a_retried_post_creates_one_need(platform: RunningPlatform) -> None:
    admin, bank_a, _ = await two_banks(platform)
    uscc = await register_srdi(admin, 7701, KUNMING_WUHUA)
    await wait_paired(admin, uscc)
    enterprise = await platform.client(Role.ENTERPRISE, uscc)
    body = need_body(needed_by=(date.today() + timedelta(days=1)).isoformat())
    first = await enterprise.post(f"{FINANCE}/needs", json=body, headers={"Idempotency-Key": "k-1"})
    again = await enterprise.post(f"{FINANCE}/needs", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.json()["need_id"] == again.json()["need_id"]
    assert len((await enterprise.get(f"{FINANCE}/needs")).json()["data"]) == 1
    runtime = platform.platform.runtimes["finance_match"]
    async with runtime.uow() as uow:
        need = await uow.session.get(Need, first.json()["need_id"])
        assert need is not None
        need.needed_by = date.today() - timedelta(days=1)
        uow.session.add(need)
        await uow.commit()
    assert await check_deadlines_once(runtime) == (0, 1)
    assert (await enterprise.get(f"{FINANCE}/needs/{need.id}")).json()["state"] == "expired"
    feed = (await bank_a.get(f"{FINANCE}/feed")).json()["items"]
    assert [(i["type"], i["need"]["state"]) for i in feed] == [("need.shared", "expired"), ("need.updated", "expired")]
    assert (await bank_a.post(f"{FINANCE}/needs/{need.id}/accept")).status_code == 409
