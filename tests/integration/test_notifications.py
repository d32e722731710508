"""The notifications service on its own runtime (SQLite, in-process bus): assignment, every rule,
preferences and quiet hours, digests under a burst, delivery retries and dead letters, idempotency
under redelivery, and who may see what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert
from sqlmodel import col, select

from services.notifications.delivery import deliver_due
from services.notifications.dispatch import Dispatcher
from services.notifications.handlers import apply_rules
from services.notifications.persistence.tables import (
    Assignment,
    Delivery,
    EnterpriseView,
    Message,
    ServiceRequest,
)
from services.notifications.scheduler import run_schedule
from shared.events.catalogue import OfficerAssigned, RequestEscalated, SeedBankIncluded, TierChanged
from shared.events.envelope import Envelope
from shared.identity import Role
from shared.service import ServiceRuntime
from tests.support.notifications import (
    KUNMING,
    add_officers,
    client,
    finance_envelope,
    notifications_runtime,
    registered,
    srdi_recognition,
    tier_changed,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
API = "/api/v1/notifications"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    async with notifications_runtime(tmp_path) as running:
        await add_officers(running, ("officer-a", KUNMING, 10), ("officer-b", KUNMING, 10), ("officer-c", KUNMING, 20),
                           ("officer-h", "5325", 50))  # fmt: skip
        yield running


async def deliver(runtime: ServiceRuntime, *envelopes: Envelope) -> None:
    for envelope in envelopes:
        await runtime.consumer.deliver(envelope)


async def messages(runtime: ServiceRuntime, recipient: str | None = None) -> list[Message]:
    async with runtime.uow() as uow:
        query = select(Message).order_by(col(Message.created_at))
        if recipient:
            query = query.where(Message.recipient == recipient)
        return list(await uow.session.exec(query))


async def active(runtime: ServiceRuntime) -> dict[str, str]:
    async with runtime.uow() as uow:
        rows = await uow.session.exec(select(Assignment).where(col(Assignment.ended_at).is_(None)))
        return {row.uscc: row.officer_id for row in rows}


async def outbox_events(runtime: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with runtime.uow() as uow:
        table = runtime.definition.tables.outbox
        rows = (await uow.session.execute(select(table.c.envelope).where(table.c.type == event_type))).scalars()
        return [Envelope.model_validate_json(raw).data for raw in rows]


async def officer_of(runtime: ServiceRuntime, uscc: str) -> str:
    return (await active(runtime))[uscc]


# --- assignment ---------------------------------------------------------------------------------


async def test_enterprises_are_assigned_by_prefecture_and_load_one_officer_each(runtime: ServiceRuntime) -> None:
    await deliver(runtime, *[registered(100 + n) for n in range(40)], registered(900, "532501"))
    assigned = await active(runtime)
    assert len(assigned) == 41, "every enterprise has exactly one active officer"
    loads: dict[str, int] = {}
    for officer in assigned.values():
        loads[officer] = loads.get(officer, 0) + 1
    # Utilisation balanced: capacity 10/10/20 → 10/10/20; the Honghe enterprise goes to Honghe's officer.
    assert loads == {"officer-a": 10, "officer-b": 10, "officer-c": 20, "officer-h": 1}
    events = await outbox_events(runtime, OfficerAssigned.TYPE)
    assert len(events) == 41 and all(e["previous_officer_id"] is None for e in events)
    # Redelivery and later events for the same enterprise leave the assignment alone.
    again = registered(100)
    await deliver(runtime, again, again)
    assert len(await outbox_events(runtime, OfficerAssigned.TYPE)) == 41


async def test_reassignment_keeps_history_and_announces_the_previous_officer(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(200))
    uscc = registered(200).subject
    first = await officer_of(runtime, uscc)
    target = next(o for o in ("officer-a", "officer-b", "officer-c") if o != first)
    async with client(runtime, Role.PREFECTURE_OPERATOR, KUNMING) as operator:
        response = await operator.put(f"{API}/enterprises/{uscc}/officer", json={"officer_id": target})
        assert response.status_code == 200, response.text
        history = (await operator.get(f"{API}/enterprises/{uscc}/officer/history")).json()
        assert [h["officer_id"] for h in history] == [first, target]
        assert history[0]["ended_at"] is not None and history[1]["ended_at"] is None
        assert history[1]["reason"] == "override"
        # Honghe's operator may not override a Kunming enterprise; an unknown officer is a 422.
        assert (
            await operator.put(f"{API}/enterprises/{uscc}/officer", json={"officer_id": "nobody"})
        ).status_code == 422
    async with client(runtime, Role.PREFECTURE_OPERATOR, "5325") as other:
        assert (await other.put(f"{API}/enterprises/{uscc}/officer", json={"officer_id": first})).status_code == 404
    events = [e for e in await outbox_events(runtime, OfficerAssigned.TYPE) if e["uscc"] == uscc]
    assert [(e["officer_id"], e["previous_officer_id"]) for e in events] == [(first, None), (target, first)]
    assert await officer_of(runtime, uscc) == target


async def test_an_officer_leaving_hands_their_enterprises_to_colleagues(runtime: ServiceRuntime) -> None:
    await deliver(runtime, *[registered(300 + n) for n in range(12)])
    mine = [u for u, o in (await active(runtime)).items() if o == "officer-a"]
    assert mine
    async with client(runtime, Role.ADMIN) as admin:
        response = await admin.patch(f"{API}/officers/officer-a", json={"active": False})
        assert response.status_code == 200 and response.json()["reassigned"] == len(mine)
    after = await active(runtime)
    assert len(after) == 12 and "officer-a" not in after.values()


# --- rules --------------------------------------------------------------------------------------


async def test_a_tier_becoming_eligible_or_lost_notifies_officer_and_enterprise(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(400))
    uscc = registered(400).subject
    officer = f"officer:{await officer_of(runtime, uscc)}"
    await deliver(runtime, tier_changed(uscc, True, False), tier_changed(uscc, False, True, "srdi_sme"))
    # First assessment (previously unknown, not eligible) is no news.
    await deliver(runtime, tier_changed(uscc, False, None, "little_giant"))
    for recipient in (officer, f"enterprise:{uscc}"):
        got = await messages(runtime, recipient)
        assert [m.rule_id for m in got] == ["tier_eligible", "tier_lost"]
        assert "创新型中小企业" in got[0].title_zh and "innovative SME" in got[0].title
        assert "专精特新中小企业" in got[1].title_zh and "no longer" in got[1].title


async def test_finance_overdue_notifies_officer_and_operator_and_pairing_the_enterprise(
    runtime: ServiceRuntime,
) -> None:
    await deliver(runtime, registered(410))
    uscc = registered(410).subject
    officer = f"officer:{await officer_of(runtime, uscc)}"
    await deliver(runtime, finance_envelope("need.overdue", uscc), finance_envelope("pairing.assigned", uscc),
                  finance_envelope("need.posted", uscc))  # fmt: skip
    assert [m.rule_id for m in await messages(runtime, officer)] == ["finance_need_overdue", "finance_bank_paired"]
    assert [m.rule_id for m in await messages(runtime, f"prefecture_operator:{KUNMING}")] == ["finance_need_overdue"]
    assert [m.rule_id for m in await messages(runtime, f"enterprise:{uscc}")] == ["finance_bank_paired"]


async def test_inclusion_in_a_seed_bank_or_target_list_notifies_the_officer(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(420))
    uscc = registered(420).subject
    officer = f"officer:{await officer_of(runtime, uscc)}"
    for kind in ("seed_bank", "target_list"):
        event = SeedBankIncluded(uscc=uscc, seed_bank_id=f"sb-{kind}", kind=kind, tier="little_giant", year=2026,
                                 rank=3, prefecture_code=KUNMING)  # fmt: skip
        await deliver(runtime, event.to_envelope())
    got = await messages(runtime, officer)
    assert [m.rule_id for m in got] == ["seed_bank_included", "seed_bank_included"]
    assert "种子库" in got[0].title_zh and "目标名单" in got[1].title_zh and "target list" in got[1].title
    assert await messages(runtime, f"enterprise:{uscc}") == []


async def test_recognitions_expiring_within_90_days_and_the_filing_date_are_reminded_once(
    runtime: ServiceRuntime,
) -> None:
    now = datetime(2027, 1, 20, 2, 0, tzinfo=UTC)  # 10:00 in Kunming, eight working days before 31 January
    soon, later = date(2027, 3, 31), date(2027, 6, 30)
    await deliver(runtime, registered(430, recognitions=[srdi_recognition(soon)]),
                  registered(431, recognitions=[srdi_recognition(later)]))  # fmt: skip
    uscc = registered(430).subject
    for _ in range(2):  # a second run (or a second replica) adds nothing
        await run_schedule(runtime.uow, runtime.settings, now)  # type: ignore[arg-type]
    officer = f"officer:{await officer_of(runtime, uscc)}"
    expiring = [m for m in await messages(runtime, officer) if m.rule_id == "recognition_expiring"]
    assert len(expiring) == 1 and expiring[0].uscc == uscc and "2027-03-31" in expiring[0].title
    assert [m.rule_id for m in await messages(runtime, f"enterprise:{uscc}")] == ["recognition_expiring"]
    filing = await messages(runtime, f"prefecture_operator:{KUNMING}")
    assert [m.rule_id for m in filing] == ["seed_bank_filing_reminder"] and "2027-01-31" in filing[0].title
    assert len([m for m in await messages(runtime) if m.rule_id == "seed_bank_filing_reminder"]) == 16


async def test_a_request_unanswered_past_its_deadline_is_escalated_to_the_operator(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(440))
    uscc = registered(440).subject
    async with client(runtime, Role.ENTERPRISE, uscc) as enterprise:
        response = await enterprise.post(
            f"{API}/requests", json={"category": "financing", "description": "需要设备贷款"}
        )
        assert response.status_code == 201, response.text
        request = response.json()
    officer = f"officer:{await officer_of(runtime, uscc)}"
    assert [m.rule_id for m in await messages(runtime, officer)] == ["request_submitted"]
    deadline = date.fromisoformat(request["deadline"])
    await run_schedule(runtime.uow, runtime.settings, datetime.combine(deadline, datetime.min.time(), UTC))  # type: ignore[arg-type]
    assert await messages(runtime, f"prefecture_operator:{KUNMING}") == [], "not yet past the deadline"
    after = datetime.combine(deadline + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=3)
    await run_schedule(runtime.uow, runtime.settings, after)  # type: ignore[arg-type]
    await run_schedule(runtime.uow, runtime.settings, after + timedelta(days=1))  # type: ignore[arg-type]
    escalated = await messages(runtime, f"prefecture_operator:{KUNMING}")
    assert [m.rule_id for m in escalated] == ["request_escalated"] and escalated[0].critical
    assert [e["request_id"] for e in await outbox_events(runtime, RequestEscalated.TYPE)] == [request["id"]]


# --- preferences, quiet hours -------------------------------------------------------------------


async def channels_of(runtime: ServiceRuntime, message: Message) -> dict[str, Delivery]:
    async with runtime.uow() as uow:
        return {d.channel: d for d in await uow.session.exec(select(Delivery).where(Delivery.message_id == message.id))}


async def test_preferences_narrow_channels_but_critical_notices_cannot_be_muted(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(500))
    uscc = registered(500).subject
    async with client(runtime, Role.ENTERPRISE, uscc) as enterprise:
        muted = {"channels": {"eligibility": ["inbox"]}, "quiet_hours": False}
        assert (await enterprise.put(f"{API}/preferences", json=muted)).status_code == 200
    async with client(runtime, Role.PREFECTURE_OPERATOR, KUNMING) as operator:
        muted_all = {"channels": {"exchange": ["inbox"], "finance": ["inbox"]}, "email": "ops@km.gov.cn",
                     "quiet_hours": False}  # fmt: skip
        assert (await operator.put(f"{API}/preferences", json=muted_all)).status_code == 200
    await deliver(runtime, tier_changed(uscc, True, False), finance_envelope("need.overdue", uscc))
    [eligible] = await messages(runtime, f"enterprise:{uscc}")
    assert set(await channels_of(runtime, eligible)) == {"inbox"}, "the enterprise muted email for eligibility"
    [overdue] = await messages(runtime, f"prefecture_operator:{KUNMING}")
    assert set(await channels_of(runtime, overdue)) == {"inbox"}
    # Escalations are critical: the operator's muting of "exchange" does not apply.
    async with runtime.uow() as uow:
        uow.session.add(
            ServiceRequest(
                id="r-1",
                uscc=uscc,
                officer_id=None,
                prefecture_code=KUNMING,
                category="policy",
                description="x",
                status="submitted",
                deadline=date(2026, 1, 5),
                submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        await uow.commit()
    await run_schedule(runtime.uow, runtime.settings, datetime(2026, 1, 12, 2, tzinfo=UTC))  # type: ignore[arg-type]
    escalated = next(m for m in await messages(runtime, f"prefecture_operator:{KUNMING}") if m.critical)
    assert set(await channels_of(runtime, escalated)) == {"inbox", "email"}


async def test_quiet_hours_hold_email_until_the_next_working_morning(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(510))
    uscc = registered(510).subject
    dispatcher = Dispatcher(runtime.settings)  # type: ignore[arg-type]
    holiday_eve = datetime(2026, 9, 30, 22, 0, tzinfo=SHANGHAI)  # eve of the National Day holiday
    async with runtime.uow() as uow:
        [officer_msg, _] = await dispatcher.notify(uow, "e-quiet", tier_changed(uscc, True, False).type,
                                                   tier_changed(uscc, True, False).data, holiday_eve)  # fmt: skip
        await uow.commit()
    email = (await channels_of(runtime, officer_msg))["email"]
    assert email.status == "queued"
    assert email.next_attempt_at is not None
    held_until = email.next_attempt_at.replace(tzinfo=email.next_attempt_at.tzinfo or UTC)
    # 1–7 October 2026 are holidays (the calendar's data): the email waits for Thursday 8 October, 09:00.
    assert held_until.astimezone(SHANGHAI) == datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    sent_before = await deliver_due(runtime.uow, {"email": _Recording()}, runtime.settings, holiday_eve)  # type: ignore[arg-type]
    assert sent_before == 0, "nothing is sent during quiet hours"


# --- digests ------------------------------------------------------------------------------------


async def test_a_burst_of_10000_events_becomes_one_digest_per_officer_per_window(runtime: ServiceRuntime) -> None:
    settings: Any = runtime.settings
    threshold = settings.notifications_digest_threshold  # type: ignore[attr-defined]
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    usccs = [f"BURST{n:013d}" for n in range(10_000)]
    async with runtime.uow() as uow:  # a register of 10,000 assigned enterprises, written set-wise
        await uow.session.execute(insert(EnterpriseView), [
            {"uscc": u, "name": f"企业{n}", "prefecture_code": KUNMING, "srdi": False, "recognitions": [],
             "snapshot_version": 1, "updated_at": now} for n, u in enumerate(usccs)])  # fmt: skip
        await uow.session.execute(insert(Assignment), [
            {"uscc": u, "officer_id": ("officer-a", "officer-b")[n % 2], "prefecture_code": KUNMING, "reason": "auto",
             "assigned_by": "test", "assigned_at": now} for n, u in enumerate(usccs)])  # fmt: skip
        await uow.commit()
    dispatcher = Dispatcher(settings)  # type: ignore[arg-type]
    for start in range(0, 10_000, 2_000):
        batch = []
        for n in range(start, start + 2_000):
            event = TierChanged(
                uscc=f"BURST{n:013d}",
                tier="srdi_sme",
                eligible=True,
                previously_eligible=False,
                rule_set="srdi_sme@2022-06-01",
                assessment_id=f"a-{n}",
                prefecture_code=KUNMING,
            )
            batch.append((f"burst-{n}", event.TYPE, event.model_dump(mode="json")))
        async with runtime.uow() as uow:  # the same path as one event at a time, fed in batches
            await dispatcher.notify_many(uow, batch, now)
            await uow.commit()
    for officer in ("officer-a", "officer-b"):
        assert len(await messages(runtime, f"officer:{officer}")) == threshold, "only the first few one by one"
    async with runtime.uow() as uow:
        assert await dispatcher.flush_digests(uow, now) == [], "the window has not ended"
        digests = await dispatcher.flush_digests(
            uow, now + timedelta(seconds=settings.notifications_digest_window_seconds)
        )  # type: ignore[attr-defined]
        await uow.commit()
    assert sorted(d.recipient for d in digests) == ["officer:officer-a", "officer:officer-b"]
    for digest in digests:
        assert digest.category == "digest"
        assert f"{5_000 - threshold} 条" in digest.title_zh and f"{5_000 - threshold} " in digest.title
    async with runtime.uow() as uow:
        assert await dispatcher.flush_digests(uow, now + timedelta(hours=2)) == [], "one digest per window"
        total = await uow.session.scalar(select(func.count()).select_from(Message))
    # Each enterprise still gets its own one notice; the officers get a few and one digest each.
    assert total == 10_000 + 2 * threshold + 2


# --- delivery -----------------------------------------------------------------------------------


class _Recording:
    name = "email"

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    async def send(self, address: str, message: Message) -> tuple[str, str | None]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SMTP server unreachable")
        self.sent.append((address, message.id))
        return "sent", "250 OK"


async def _one_email(runtime: ServiceRuntime, serial: int) -> tuple[Message, datetime]:
    """One notice with one email delivery (the officer's; the enterprise has no address)."""
    await deliver(runtime, registered(serial, contact_email=None))
    uscc = registered(serial).subject
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday 11:00 in Kunming: working hours
    async with runtime.uow() as uow:
        created = await Dispatcher(runtime.settings).notify(uow, f"e-{serial}", tier_changed(uscc, True, False).type,  # type: ignore[arg-type]
                                                            tier_changed(uscc, True, False).data, now)  # fmt: skip
        await uow.commit()
    return created[0], now


async def test_a_failing_channel_is_retried_with_backoff_then_dead_lettered(runtime: ServiceRuntime) -> None:
    settings: Any = runtime.settings
    message, now = await _one_email(runtime, 600)
    flaky = _Recording(failures=2)
    channels: Any = {"email": flaky}
    assert await deliver_due(runtime.uow, channels, settings, now) == 1
    email = (await channels_of(runtime, message))["email"]
    assert email.status == "failed" and email.attempts == 1 and "unreachable" in (email.last_error or "")
    assert await deliver_due(runtime.uow, channels, settings, now + timedelta(seconds=10)) == 0, "backing off"
    base = settings.notifications_delivery_backoff_seconds
    assert await deliver_due(runtime.uow, channels, settings, now + timedelta(seconds=base)) == 1
    assert (await channels_of(runtime, message))["email"].attempts == 2
    assert await deliver_due(runtime.uow, channels, settings, now + timedelta(seconds=base * 3)) == 1
    email = (await channels_of(runtime, message))["email"]
    assert email.status == "sent" and email.attempts == 3 and len(flaky.sent) == 1

    dead_message, _ = await _one_email(runtime, 601)
    broken: Any = {"email": _Recording(failures=100)}
    moment = now
    for _ in range(settings.notifications_delivery_max_attempts):
        moment += timedelta(seconds=settings.notifications_delivery_backoff_max_seconds)
        await deliver_due(runtime.uow, broken, settings, moment)
    dead = (await channels_of(runtime, dead_message))["email"]
    assert dead.status == "dead" and dead.attempts == settings.notifications_delivery_max_attempts
    assert (await channels_of(runtime, dead_message))["inbox"].status == "delivered", "the inbox still has it"
    async with client(runtime, Role.ADMIN) as admin:
        letters = (await admin.get(f"{API}/admin/deliveries", params={"status": "dead"})).json()
        assert [d["id"] for d in letters] == [dead.id]
        assert (await admin.post(f"{API}/admin/deliveries/{dead.id}/retry")).json()["status"] == "queued"
    working: Any = {"email": _Recording()}
    assert await deliver_due(runtime.uow, working, settings, datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert (await channels_of(runtime, dead_message))["email"].status == "sent"


async def test_one_event_gives_one_message_per_recipient_and_channel_however_often_delivered(
    runtime: ServiceRuntime,
) -> None:
    await deliver(runtime, registered(700))
    uscc = registered(700).subject
    event = tier_changed(uscc, True, False)
    await deliver(runtime, event, event, event)  # the consumer's inbox stops the copies
    for _ in range(2):  # and past the inbox (a replayed dead letter, another path): the message table does
        async with runtime.uow() as uow:
            await apply_rules(event, uow)
            await uow.commit()
    got = await messages(runtime)
    assert sorted(m.recipient for m in got) == sorted(
        [f"officer:{await officer_of(runtime, uscc)}", f"enterprise:{uscc}"]
    )
    for message in got:
        assert sorted(await channels_of(runtime, message)) == ["email", "inbox"]


# --- inbox and tenancy --------------------------------------------------------------------------


async def test_the_inbox_lists_counts_marks_read_and_archives_only_for_its_owner(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(800), registered(801))
    mine, theirs = registered(800).subject, registered(801).subject
    await deliver(
        runtime, tier_changed(mine, True, False), tier_changed(mine, False, True), tier_changed(theirs, True, False)
    )
    async with client(runtime, Role.ENTERPRISE, mine) as enterprise:
        page = (await enterprise.get(f"{API}/inbox", params={"limit": 1})).json()
        assert page["unread"] == 2 and len(page["items"]) == 1 and page["next_cursor"]
        rest = (await enterprise.get(f"{API}/inbox", params={"cursor": page["next_cursor"]})).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        first = page["items"][0]
        assert set(first) >= {
            "id",
            "category",
            "title",
            "title_zh",
            "body",
            "uscc",
            "event_id",
            "created_at",
            "read_at",
        }
        assert (await enterprise.post(f"{API}/inbox/{first['id']}/read")).json()["read_at"] is not None
        assert (await enterprise.get(f"{API}/inbox/unread-count")).json() == {"unread": 1}
        statuses = {
            d["channel"]: d["status"] for d in (await enterprise.get(f"{API}/inbox/{first['id']}/deliveries")).json()
        }
        assert statuses == {"inbox": "read", "email": "queued"}
        assert (await enterprise.post(f"{API}/inbox/{rest['items'][0]['id']}/archive")).status_code == 200
        assert (await enterprise.get(f"{API}/inbox")).json()["items"] == [
            first | {"read_at": (await enterprise.get(f"{API}/inbox")).json()["items"][0]["read_at"]}
        ]
        # Someone else's inbox, or someone else's message: never.
        assert (await enterprise.get(f"{API}/inbox", params={"recipient": f"enterprise:{theirs}"})).status_code == 403
        their_item = (await messages(runtime, f"enterprise:{theirs}"))[0]
        assert (await enterprise.post(f"{API}/inbox/{their_item.id}/read")).status_code == 404
    async with client(runtime, Role.BANK, "bank-ynrcc") as bank:
        assert (await bank.get(f"{API}/inbox")).status_code == 403
    async with client(runtime, Role.ADMIN) as admin:
        assert (await admin.get(f"{API}/inbox")).status_code == 422
        theirs_page = (await admin.get(f"{API}/inbox", params={"recipient": f"enterprise:{theirs}"})).json()
        assert len(theirs_page["items"]) == 1


async def test_officers_enterprises_and_operators_see_only_their_own_exchange(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(900), registered(901), registered(902, "532501"))
    km, km2, honghe = registered(900).subject, registered(901).subject, registered(902, "532501").subject
    officer = await officer_of(runtime, km)
    other_officer = next(o for o in ("officer-a", "officer-b", "officer-c") if o != officer)
    async with client(runtime, Role.OFFICER, officer) as mine:
        assert (await mine.get(f"{API}/enterprises/{km}/officer")).json()["officer"]["officer_id"] == officer
        thread = await mine.post(
            f"{API}/threads", json={"uscc": km, "subject": "走访安排", "body": "下周二上午方便吗？"}
        )
        assert thread.status_code == 201, thread.text
        record = await mine.post(f"{API}/records", json={"uscc": km, "kind": "visit", "served_on": "2026-11-30"})
        assert record.status_code == 201
    async with client(runtime, Role.OFFICER, other_officer) as other:
        if await officer_of(runtime, km2) != other_officer:
            assert (await other.get(f"{API}/threads/{thread.json()['id']}")).status_code == 404
        assert (await other.get(f"{API}/threads")).json() == []
        assert (
            await other.post(f"{API}/records", json={"uscc": km, "kind": "call", "served_on": "2026-11-30"})
        ).status_code == 404
    async with client(runtime, Role.ENTERPRISE, km) as enterprise:
        posted = await enterprise.post(f"{API}/threads/{thread.json()['id']}/posts", json={"body": "可以，欢迎！"})
        assert posted.status_code == 201
        assert len((await enterprise.get(f"{API}/threads/{thread.json()['id']}")).json()["posts"]) == 2
        assert (await enterprise.get(f"{API}/enterprises/{honghe}/officer")).status_code == 404
    async with client(runtime, Role.ENTERPRISE, km2) as neighbour:
        assert (await neighbour.get(f"{API}/threads/{thread.json()['id']}")).status_code == 404
        assert (await neighbour.get(f"{API}/threads")).json() == []
    async with client(runtime, Role.PREFECTURE_OPERATOR, "5325") as honghe_operator:
        assert (await honghe_operator.get(f"{API}/threads")).json() == []
        assert (await honghe_operator.get(f"{API}/records", params={"uscc": km})).json() == []
        assert (await honghe_operator.get(f"{API}/coverage", params={"prefecture": KUNMING})).status_code == 403
    async with client(runtime, Role.PLATFORM, "platform-yn-gov") as platform:
        assert (await platform.get(f"{API}/enterprises/{km}/officer")).status_code == 200
        assert (await platform.get(f"{API}/threads")).status_code == 403


async def test_a_request_moves_submitted_accepted_resolved_closed_and_nothing_else(runtime: ServiceRuntime) -> None:
    await deliver(runtime, registered(950))
    uscc = registered(950).subject
    officer = await officer_of(runtime, uscc)
    async with client(runtime, Role.ENTERPRISE, uscc) as enterprise, client(runtime, Role.OFFICER, officer) as mine:
        request = (
            await enterprise.post(f"{API}/requests", json={"category": "policy", "description": "技改补贴"})
        ).json()
        url = f"{API}/requests/{request['id']}/transitions"
        illegal = await mine.post(url, json={"action": "resolve"})
        assert illegal.status_code == 409 and illegal.headers["content-type"].startswith("application/problem+json")
        assert illegal.json()["code"] == "illegal-transition" and illegal.json()["title_zh"]
        assert (await enterprise.post(url, json={"action": "accept"})).status_code == 403
        assert (await mine.post(url, json={"action": "accept"})).json()["status"] == "accepted"
        assert (await mine.post(url, json={"action": "resolve", "resolution": "已对接"})).json()["status"] == "resolved"
        assert (await enterprise.post(url, json={"action": "close", "rating": 9})).status_code == 422
        closed = (await enterprise.post(url, json={"action": "close", "rating": 5})).json()
        assert closed["status"] == "closed" and closed["rating"] == 5
        assert (await enterprise.post(url, json={"action": "close"})).status_code == 409


async def test_a_retried_request_with_the_same_idempotency_key_is_one_request_and_one_notice(
    runtime: ServiceRuntime,
) -> None:
    await deliver(runtime, registered(951))
    uscc = registered(951).subject
    officer = await officer_of(runtime, uscc)
    body = {"category": "financing", "description": "需要流动资金贷款"}
    headers = {"Idempotency-Key": "request-951-1"}
    async with client(runtime, Role.ENTERPRISE, uscc) as enterprise:
        first = await enterprise.post(f"{API}/requests", json=body, headers=headers)
        again = await enterprise.post(f"{API}/requests", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
        async with runtime.uow() as uow:
            rows = list(await uow.session.exec(select(ServiceRequest).where(ServiceRequest.uscc == uscc)))
        assert [r.id for r in rows] == [first.json()["id"]]
        notices = [m for m in await messages(runtime, f"officer:{officer}") if m.event_id == f"request:{rows[0].id}"]
        assert len(notices) == 1, "the officer is told of the request once"
        other = await enterprise.post(f"{API}/requests", json=body | {"description": "另一件事"}, headers=headers)
        assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
        assert (await enterprise.post(f"{API}/requests", json=body)).status_code == 201, "no key: a new request"
        async with runtime.uow() as uow:
            count = await uow.session.scalar(select(func.count()).select_from(ServiceRequest).where(
                ServiceRequest.uscc == uscc))  # fmt: skip
        assert count == 2


async def test_coverage_counts_srdi_enterprises_with_an_officer_and_a_recent_service(runtime: ServiceRuntime) -> None:
    valid = date.today() + timedelta(days=400)
    await deliver(
        runtime,
        *[registered(1000 + n, recognitions=[srdi_recognition(valid)]) for n in range(5)],
        registered(1010),
        registered(1020, "532501", recognitions=[srdi_recognition(valid, "little_giant")]),
    )
    served = [registered(1000 + n).subject for n in range(4)]
    async with client(runtime, Role.ADMIN) as admin:
        for n, uscc in enumerate(served):
            day = (date.today() - timedelta(days=10 if n < 3 else 200)).isoformat()  # the fourth: too long ago
            assert (
                await admin.post(f"{API}/records", json={"uscc": uscc, "kind": "visit", "served_on": day})
            ).status_code == 201
        figure = (await admin.get(f"{API}/coverage")).json()
    assert figure["target"] == "0.80"
    assert figure["overall"] == {"srdi_enterprises": 6, "with_officer": 6, "served_last_quarter": 3,
                                 "coverage": "0.5000", "meets_target": False}  # fmt: skip
    by_code = {p["prefecture_code"]: p for p in figure["prefectures"]}
    assert by_code[KUNMING]["coverage"] == "0.6000" and by_code["5325"]["served_last_quarter"] == 0
    async with client(runtime, Role.PREFECTURE_OPERATOR, KUNMING) as operator:
        own = (await operator.get(f"{API}/coverage")).json()
        assert [p["prefecture_code"] for p in own["prefectures"]] == [KUNMING]


async def test_demo_data_staffs_every_prefecture_assigns_everyone_and_makes_coverage_real(tmp_path: Path) -> None:
    from services.notifications.demo import seed_exchange, seed_roster
    from services.notifications.domain.prefectures import PREFECTURES

    async with notifications_runtime(tmp_path) as runtime:
        assert await seed_roster(runtime, 3) == 48
        assert await seed_roster(runtime, 3) == 0, "only on first start"
        valid = date.today() + timedelta(days=500)
        counties = ["530102", "532501", "533102", "533421"]
        population = [
            registered(2000 + n, counties[n % 4], recognitions=[srdi_recognition(valid)] if n % 3 else [])
            for n in range(120)
        ]
        await deliver(runtime, *population)
        assert len(await active(runtime)) == 120, "every demo enterprise gets an officer through the events"
        seen: set[str] = set()
        async with runtime.uow() as uow:
            first = await seed_exchange(uow, date.today(), seen)
            await uow.commit()
        async with runtime.uow() as uow:
            assert await seed_exchange(uow, date.today(), seen) == 0, "each enterprise once"
        async with client(runtime, Role.ADMIN) as admin:
            roster = (await admin.get(f"{API}/officers")).json()
            figure = (await admin.get(f"{API}/coverage")).json()
    assert {o["prefecture_code"] for o in roster} == set(PREFECTURES)
    assert "officer-001" in {o["officer_id"] for o in roster}
    assert first > 0 and figure["overall"]["srdi_enterprises"] == 80
    assert 0.5 < float(figure["overall"]["coverage"]) < 1.0


async def test_an_enterprise_moving_prefecture_gets_an_officer_there(runtime: ServiceRuntime) -> None:
    from shared.events.catalogue import EnterpriseUpdated
    from tests.support.notifications import snapshot

    await deliver(runtime, registered(1100))
    uscc = registered(1100).subject
    assert (await officer_of(runtime, uscc)).startswith("officer-")
    moved = snapshot(1100, "532501").model_copy(update={"uscc": uscc, "version": 2})
    await deliver(runtime, EnterpriseUpdated(uscc=uscc, changed_fields=["county_code"], enterprise=moved).to_envelope())
    assert await officer_of(runtime, uscc) == "officer-h"
    events = [e for e in await outbox_events(runtime, OfficerAssigned.TYPE) if e["uscc"] == uscc]
    assert [e["prefecture_code"] for e in events] == [KUNMING, "5325"]
