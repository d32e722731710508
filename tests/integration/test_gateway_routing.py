"""The gateway's routing (embedded platform, same code as distributed): upstream deadline, retries
only where safe, the circuit breaker (503 + Retry-After), body limits (413), request ids through
every hop, the access log and the audit log."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.gateway.upstreams import UpstreamPolicy, Upstreams
from shared.identity import Role
from shared.problems import Problem
from tests.support.builders import enterprise
from tests.support.platform import RunningPlatform, running_platform

pytestmark = pytest.mark.asyncio(loop_scope="session")


class FlakyService:
    """A stand-in finance service: it hangs, fails or answers, as the test says; it counts calls."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls: list[str] = []
        self.request_ids: list[str | None] = []
        self.app = FastAPI()

        @self.app.api_route("/api/v1/finance/{path:path}", methods=["GET", "POST"])
        async def anything(path: str, request: Request) -> JSONResponse:
            self.calls.append(request.method)
            self.request_ids.append(request.headers.get("x-request-id"))
            if self.mode == "hang":
                await asyncio.sleep(30)
            if self.mode == "fail":
                return JSONResponse({"detail": "down"}, status_code=503)
            return JSONResponse({"ok": True})


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    overrides = {"upstream_timeout_seconds": 0.3, "gateway_breaker_failures": 3, "gateway_breaker_reset_seconds": 60,
                 "gateway_upstream_retries": 2, "gateway_max_body_bytes": 2048}  # fmt: skip
    async with running_platform(tmp_path, **overrides) as running:
        yield running


@pytest.fixture
async def real_services(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    """The platform at its own deadlines: a test that reaches a real service (a registration writes and
    commits) must not race the 0.3 s the stand-in's tests are given, on a loaded machine."""
    async with running_platform(tmp_path) as running:
        yield running


def install(platform: RunningPlatform, service: FlakyService) -> None:
    upstreams = platform.platform.app.state.upstreams
    upstreams._clients["finance"] = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url="http://finance"
    )
    upstreams.configure(upstreams.policy)


async def test_a_hanging_upstream_answers_504_in_time_and_gets_are_retried(platform: RunningPlatform) -> None:
    service = FlakyService()
    install(platform, service)
    admin = await platform.client(Role.ADMIN)
    service.mode = "hang"
    started = asyncio.get_running_loop().time()
    response = await admin.get("/api/v1/finance/stats")
    elapsed = asyncio.get_running_loop().time() - started
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "upstream-timeout"
    assert service.calls == ["GET", "GET", "GET"]  # idempotent: 1 + 2 retries
    assert elapsed < 3, elapsed  # 3 × 0.3 s plus backoff, not 30 s


async def test_a_post_is_not_retried_after_a_timeout(platform: RunningPlatform) -> None:
    service = FlakyService()
    install(platform, service)
    admin = await platform.client(Role.ADMIN)
    service.mode = "hang"
    response = await admin.post("/api/v1/finance/needs", json={})
    assert response.status_code == 504
    assert service.calls == ["POST"]  # may have been applied: never sent twice
    service.calls.clear()
    install(platform, service)  # fresh breakers: the first timeout counted against finance's
    keyed = await admin.post("/api/v1/finance/needs", json={}, headers={"Idempotency-Key": "k-1"})
    assert keyed.status_code == 504 and service.calls == ["POST", "POST", "POST"]


async def test_the_breaker_opens_after_failures_and_answers_503_with_retry_after(platform: RunningPlatform) -> None:
    service = FlakyService()
    install(platform, service)
    admin = await platform.client(Role.ADMIN)
    service.mode = "fail"
    first = await admin.get("/api/v1/finance/stats")  # 3 attempts → 3 failures → open
    assert first.status_code == 503
    calls = len(service.calls)
    assert calls == 3
    service.mode = "ok"
    refused = await admin.get("/api/v1/finance/stats")
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "upstream-circuit-open"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(service.calls) == calls  # the open breaker did not call the service
    # the other upstreams are unaffected
    assert (await admin.get("/api/v1/registry/enterprises")).status_code == 200


async def test_connect_failures_are_retried_even_for_a_post() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    upstreams = Upstreams.over_http({"finance_match": f"http://127.0.0.1:{port}"}, 1.0)
    upstreams.configure(UpstreamPolicy(timeout_seconds=1.0, retries=2, breaker_failures=10))
    request = upstreams.client_for("finance")
    assert request is not None
    with pytest.raises(Problem) as failed:
        await upstreams.send("finance", request.build_request("POST", "/api/v1/finance/needs", content=b"{}"))
    assert failed.value.status == 502
    assert upstreams.breakers["finance"]._failures == 3  # nothing was sent, so all three tries were safe
    await upstreams.aclose()


async def test_bodies_over_the_limit_get_413_and_reach_no_service(platform: RunningPlatform) -> None:
    service = FlakyService()
    install(platform, service)
    admin = await platform.client(Role.ADMIN)
    big = await admin.post("/api/v1/finance/needs", content=b"x" * 4096, headers={"content-type": "application/json"})
    assert big.status_code == 413
    assert big.headers["content-type"] == "application/problem+json"
    assert big.json()["code"] == "body-too-large"

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(8):
            yield b"y" * 512

    streamed = await admin.post("/api/v1/finance/needs", content=chunked())
    assert streamed.status_code == 413
    assert service.calls == []
    small = await admin.post("/api/v1/finance/needs", json={"a": 1})
    assert small.status_code == 200
    at_limit = await admin.post("/api/v1/finance/needs", content=b"z" * 2048)
    over = await admin.post("/api/v1/finance/needs", content=b"z" * 2049)
    assert (at_limit.status_code, over.status_code) == (200, 413)
    assert service.calls == ["POST", "POST"]


async def test_the_request_id_travels_to_the_service_and_back_and_lands_in_the_audit_log(
    real_services: RunningPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    platform = real_services
    admin = await platform.client(Role.ADMIN)
    body = enterprise(4242)
    with caplog.at_level(logging.INFO, logger="srdi.gateway.access"):
        created = await admin.post("/api/v1/registry/enterprises", json=body, headers={"X-Request-ID": "rid-audit-1"})
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-ID"] == "rid-audit-1"
    assert any("POST /api/v1/registry/enterprises 201" in r.getMessage() and "role=admin" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    # the service saw the same id (its problem bodies carry it)
    missing = await admin.get("/api/v1/registry/enterprises/915301020000000000", headers={"X-Request-ID": "rid-2"})
    assert missing.json()["request_id"] == "rid-2"
    # a hostile request id is replaced, not echoed into logs
    odd = await admin.get("/api/v1/gateway/whoami", headers={"X-Request-ID": "bad id\nwith newline"})
    assert odd.headers["X-Request-ID"] != "bad id\nwith newline"
    audit = (await admin.get("/api/v1/gateway/audit")).json()["items"]
    entry = next(item for item in audit if item["request_id"] == "rid-audit-1")
    assert entry["method"] == "POST" and entry["path"] == "/api/v1/registry/enterprises"
    assert entry["role"] == "admin" and entry["status"] == 201 and entry["subject"].startswith("key:")
    assert not any(item["method"] == "GET" for item in audit)  # reads are not audited
    operator = await platform.client(Role.PREFECTURE_OPERATOR, "5301")
    assert (await operator.get("/api/v1/gateway/audit")).status_code == 403

