"""The webhook delivery mechanism against a real HTTP receiver on 127.0.0.1 that fails, then recovers;
on SQLite and on PostgreSQL (where two workers share the work with FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared import db
from shared import webhooks as wh
from tests.support.receiver import WebhookReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
FAST = (0, 0.05, 0.1, 0.1)


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, wh.WebhookTables]]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        url = make_url(base).set(database=f"srdi_hooks_{secrets.token_hex(4)}").render_as_string(hide_password=False)
        await db.ensure_database_exists(url)
    engine = db.create_engine(url)
    metadata = MetaData()
    tables = wh.webhook_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine, tables
    await engine.dispose()


async def _subscribe(engine: AsyncEngine, tables: wh.WebhookTables, url: str, owner: str = "bank-a") -> dict:
    async with engine.begin() as conn:
        return await wh.create_subscription(conn, tables, owner=owner, url=url, event_types=["need.posted"])


async def _enqueue(engine: AsyncEngine, tables: wh.WebhookTables, message_id: str, owner: str = "bank-a") -> list[int]:
    async with engine.begin() as conn:
        return await wh.enqueue(conn, tables, owner=owner, event_type="need.posted", message_id=message_id,
                                payload={"need_id": message_id, "amount": "1000000.00"})  # fmt: skip


async def test_a_failing_receiver_gets_retries_until_it_recovers(store: tuple[AsyncEngine, wh.WebhookTables]) -> None:
    engine, tables = store
    with WebhookReceiver(fail_first=2) as receiver:
        sub = await _subscribe(engine, tables, receiver.url)
        [delivery_id] = await _enqueue(engine, tables, "msg_1")
        assert await _enqueue(engine, tables, "msg_1") == []  # same message again: no second delivery
        worker = wh.WebhookWorker(engine, tables, schedule=FAST, poll_seconds=0.02)
        task = asyncio.create_task(worker.run_forever())
        try:
            await eventually(lambda: asyncio.sleep(0, receiver.accepted()), lambda r: len(r) == 1, timeout=10,
                             what="delivery accepted after two failures")  # fmt: skip
        finally:
            worker.request_stop()
            await task
    sent = receiver.all()
    assert [r.status for r in sent] == [503, 503, 200]
    assert len({r.headers["webhook-id"] for r in sent}) == 1  # one message id across retries
    for request in sent:
        Webhook(sub["secret"]).verify(request.body, request.headers)
    async with engine.connect() as conn:
        [delivery] = await wh.list_deliveries(conn, tables, sub["id"])
        attempts = await wh.list_attempts(conn, tables, delivery_id)
    assert delivery["state"] == wh.SUCCEEDED and delivery["attempts"] == 3
    assert [(a["number"], a["status_code"]) for a in attempts] == [(1, 503), (2, 503), (3, 200)]
    assert attempts[0]["error"] == "HTTP 503" and attempts[2]["error"] is None
    assert all(a["latency_ms"] >= 0 for a in attempts)


async def test_after_the_schedule_it_is_failed_and_a_replay_from_the_cursor_delivers(
    store: tuple[AsyncEngine, wh.WebhookTables],
) -> None:
    engine, tables = store
    with WebhookReceiver(fail_first=len(FAST)) as receiver:
        sub = await _subscribe(engine, tables, receiver.url)
        first = (await _enqueue(engine, tables, "msg_a"))[0]
        worker = wh.WebhookWorker(engine, tables, schedule=FAST, poll_seconds=0.02)

        async def state() -> str:
            async with engine.connect() as conn:
                return str((await wh.list_deliveries(conn, tables, sub["id"]))[0]["state"])

        task = asyncio.create_task(worker.run_forever())
        try:
            await eventually(state, lambda s: s == wh.FAILED, timeout=10, what="delivery failed")
            assert len(receiver.all()) == len(FAST)  # exactly the scheduled attempts, no more
            async with engine.begin() as conn:
                assert await wh.replay(conn, tables, sub["id"], after_id=first - 1) == 1
            worker.wake()
            await eventually(state, lambda s: s == wh.SUCCEEDED, timeout=10, what="replayed delivery")
        finally:
            worker.request_stop()
            await task
    async with engine.connect() as conn:
        attempts = await wh.list_attempts(conn, tables, first)
    assert [a["number"] for a in attempts] == [1, 2, 3, 4, 5]
    assert attempts[-1]["status_code"] == 200


async def test_a_connection_refused_is_logged_as_an_error(store: tuple[AsyncEngine, wh.WebhookTables]) -> None:
    engine, tables = store
    with WebhookReceiver() as receiver:
        dead_url = receiver.url
    sub = await _subscribe(engine, tables, dead_url)
    [delivery_id] = await _enqueue(engine, tables, "msg_x")
    worker = wh.WebhookWorker(engine, tables, schedule=(0,), poll_seconds=0.02)
    try:
        assert await worker.deliver_due() == 1
    finally:
        await worker.aclose()
    async with engine.connect() as conn:
        [attempt] = await wh.list_attempts(conn, tables, delivery_id)
        [delivery] = await wh.list_deliveries(conn, tables, sub["id"])
    assert attempt["status_code"] is None and "Connect" in (attempt["error"] or "")
    assert delivery["state"] == wh.FAILED


async def test_rotation_signs_with_both_secrets_until_the_grace_ends(
    store: tuple[AsyncEngine, wh.WebhookTables],
) -> None:
    engine, tables = store
    with WebhookReceiver() as receiver:
        sub = await _subscribe(engine, tables, receiver.url)
        async with engine.begin() as conn:
            new_secret = await wh.rotate_secret(conn, tables, sub["id"], grace=timedelta(hours=1))
        await _enqueue(engine, tables, "msg_r1")
        worker = wh.WebhookWorker(engine, tables, schedule=(0,))
        try:
            assert await worker.deliver_due() == 1
            async with engine.begin() as conn:
                await wh.rotate_secret(conn, tables, sub["id"], grace=timedelta(0))
            await _enqueue(engine, tables, "msg_r2")
            assert await worker.deliver_due() == 1
        finally:
            await worker.aclose()
    first, second = receiver.all()
    Webhook(new_secret).verify(first.body, first.headers)
    Webhook(sub["secret"]).verify(first.body, first.headers)
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret).verify(second.body, second.headers)  # the secret after the second rotation signs it


async def test_two_workers_deliver_each_message_once(store: tuple[AsyncEngine, wh.WebhookTables]) -> None:
    engine, tables = store
    with WebhookReceiver() as receiver:
        await _subscribe(engine, tables, receiver.url)
        for i in range(40):
            await _enqueue(engine, tables, f"msg_{i}")
        workers = [wh.WebhookWorker(engine, tables, schedule=FAST, batch_size=5, poll_seconds=0.02) for _ in range(2)]
        tasks = [asyncio.create_task(w.run_forever()) for w in workers]
        try:
            await eventually(lambda: asyncio.sleep(0, receiver.accepted()), lambda r: len(r) >= 40, timeout=15,
                             what="all 40 delivered")  # fmt: skip
        finally:
            for w in workers:
                w.request_stop()
            await asyncio.gather(*tasks)
    ids = [r.headers["webhook-id"] for r in receiver.all()]
    assert sorted(ids) == sorted(f"msg_{i}" for i in range(40))


async def test_410_gone_fails_at_once_and_disables_the_subscription(
    store: tuple[AsyncEngine, wh.WebhookTables],
) -> None:
    engine, tables = store
    with WebhookReceiver(fail_first=5, fail_status=410) as receiver:
        sub = await _subscribe(engine, tables, receiver.url)
        [delivery_id] = await _enqueue(engine, tables, "msg_gone")
        worker = wh.WebhookWorker(engine, tables, schedule=FAST)
        try:
            assert await worker.deliver_due() == 1
            assert await worker.deliver_due() == 0  # not retried
        finally:
            await worker.aclose()
    assert len(receiver.all()) == 1
    async with engine.connect() as conn:
        [delivery] = await wh.list_deliveries(conn, tables, sub["id"])
        assert delivery["state"] == wh.FAILED and delivery["last_status_code"] == 410
        assert (await wh.get_subscription(conn, tables, sub["id"]) or {})["active"] is False
    assert await _enqueue(engine, tables, "msg_after") == []  # an inactive subscription gets nothing
    assert delivery_id == delivery["id"]


async def test_a_paused_subscription_keeps_its_deliveries_until_resumed(
    store: tuple[AsyncEngine, wh.WebhookTables],
) -> None:
    engine, tables = store
    with WebhookReceiver() as receiver:
        sub = await _subscribe(engine, tables, receiver.url)
        await _enqueue(engine, tables, "msg_p")
        async with engine.begin() as conn:
            await wh.set_active(conn, tables, sub["id"], False)
        worker = wh.WebhookWorker(engine, tables, schedule=FAST)
        try:
            assert await worker.deliver_due() == 0
            async with engine.begin() as conn:
                await wh.set_active(conn, tables, sub["id"], True)
            assert await worker.deliver_due() == 1
        finally:
            await worker.aclose()
    assert [r.headers["webhook-id"] for r in receiver.accepted()] == ["msg_p"]


def _resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """The event loop's resolver answering ``names`` as given (an attacker's DNS), others as usual."""
    real = socket.getaddrinfo

    def fake(host: object, port: object, *args: object, **kwargs: object) -> object:
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[str(host)], port))]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_name_rebound_to_an_internal_address_after_subscribing_gets_no_delivery(
    store: tuple[AsyncEngine, wh.WebhookTables], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding (API7): the name was public when the bank subscribed; at delivery it answers
    127.0.0.1. The worker resolves again, refuses, and records why — the internal host sees nothing."""
    engine, tables = store
    with WebhookReceiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        sub = await _subscribe(engine, tables, f"http://hooks.rebind.example:{port}/hook")
        [delivery_id] = await _enqueue(engine, tables, "msg_rebind")
        _resolving(monkeypatch, {"hooks.rebind.example": "127.0.0.1"})
        worker = wh.WebhookWorker(engine, tables, schedule=(0,), poll_seconds=0.02, allow_private=False)
        try:
            assert await worker.deliver_due() == 1
        finally:
            await worker.aclose()
        assert receiver.all() == []
    async with engine.connect() as conn:
        [delivery] = await wh.list_deliveries(conn, tables, sub["id"])
        [attempt] = await wh.list_attempts(conn, tables, delivery_id)
    assert delivery["state"] == wh.FAILED
    assert attempt["status_code"] is None and "internal address (127.0.0.1)" in attempt["error"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_a_delivery_goes_to_the_address_checked_with_the_names_host_header(
    store: tuple[AsyncEngine, wh.WebhookTables], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pinned request: sent to the address the worker checked, the receiver still told the name
    it was addressed by (Host) — here with loopback counted as public, so the local receiver can play
    the bank's server."""
    engine, tables = store
    monkeypatch.setattr(wh, "_internal", lambda address: False)
    with WebhookReceiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        sub = await _subscribe(engine, tables, f"http://hooks.bank.example:{port}/hook")
        await _enqueue(engine, tables, "msg_pinned")
        _resolving(monkeypatch, {"hooks.bank.example": "127.0.0.1"})
        worker = wh.WebhookWorker(engine, tables, schedule=(0,), poll_seconds=0.02, allow_private=False)
        try:
            assert await worker.deliver_due() == 1
        finally:
            await worker.aclose()
        [received] = receiver.accepted()
    assert received.headers["host"] == f"hooks.bank.example:{port}"
    Webhook(sub["secret"]).verify(received.body, received.headers)

