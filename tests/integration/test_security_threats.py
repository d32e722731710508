"""OWASP API Security Top 10 (2023) gaps not shown elsewhere (docs/security.md points here):
server-owned fields refused on every write (API3), every page size bounded (API4), every service
route refusing a call that bypasses the gateway (API2/API9), webhook hosts resolved and kept off
internal addresses (API7), no cross-origin grant (API8), every write audited with who, tenant,
what, when and the request id.

The generic tests walk the merged OpenAPI (or each service's own), so a route added later is
covered without editing this file."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData
from sqlmodel import select

from services.finance_match.usecases import feed as feed_usecases
from services.registry.persistence.tables import ImportJob
from shared import db
from shared import webhooks as wh
from shared.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from tests.support.builders import enterprise
from tests.support.finance import FINANCE, bank_body
from tests.support.hostile import non_null, write_operations
from tests.support.platform import RunningPlatform, running_platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.asyncio(loop_scope="session")
# Names a client could hope to set although the server owns them.
SERVER_OWNED = ("id", "version", "state", "status", "prefecture_code", "tenant", "role", "owner", "created_at",
                "created_by", "updated_at", "deleted_at", "approved_by")  # fmt: skip
PUBLIC = {("POST", "/api/v1/eligibility/evaluate")}
CLAMPED = {(f"{FINANCE}/feed", "limit")}  # cut to a configured maximum instead: checked on its own
LIMITS = {"gateway_rate_limit_per_key": "100000/minute", "gateway_rate_limit_per_address": "100000/minute"}


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningPlatform]:
    """One platform for the tests below: each writes only objects of its own."""
    async with running_platform(tmp_path_factory.mktemp("threats"), **LIMITS) as running:
        yield running


def problem_fields(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["code"] for e in response.json().get("errors", [])}


async def test_no_write_operation_takes_a_server_owned_field(platform: RunningPlatform) -> None:
    """API3 mass assignment: a body carrying fields its operation does not declare is refused (422,
    each such field named), on every write operation with a JSON object body."""
    admin = await platform.client(Role.ADMIN)
    document = (await platform.gateway.get("/openapi.json")).json()
    checked: list[str] = []
    wrong: list[str] = []
    for operation in write_operations(document):
        schema = operation.body_schema
        if schema is None or non_null(document, schema).get("type") != "object":
            continue
        declared = set(non_null(document, schema).get("properties", {}))
        smuggled = {name: "x" for name in SERVER_OWNED if name not in declared}
        where = f"{operation.method} {operation.template}"
        response = await admin.request(operation.method, operation.path_with(), json=smuggled)
        checked.append(where)
        if response.status_code != 422:
            wrong.append(f"{where}: {response.status_code}")
            continue
        named = problem_fields(response)
        missing = [name for name in smuggled if named.get(name) != "extra_forbidden"]
        if missing:
            wrong.append(f"{where}: {missing} not refused")
    assert len(checked) >= 35, checked
    assert wrong == []


async def test_every_page_size_is_bounded(platform: RunningPlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    """API4: every read that pages declares a maximum for its page size and refuses one above it —
    but the bank feed, whose maximum is a setting (FEED_PAGE_MAX): there any larger size is cut to it."""
    admin = await platform.client(Role.ADMIN)
    assert (await admin.post(f"{FINANCE}/banks", json=bank_body("bank-a", ["5301"]))).status_code == 201
    bank = await platform.client(Role.BANK, "bank-a")
    asked: list[int] = []
    feed_page = feed_usecases.feed_page

    async def spy(uow: Any, bank_id: str, after: int, limit: int) -> Any:
        asked.append(limit)
        return await feed_page(uow, bank_id, after, limit)

    monkeypatch.setattr(feed_usecases, "feed_page", spy)
    pulled = await bank.get(f"{FINANCE}/feed", params={"limit": 10**9})
    assert pulled.status_code == 200, pulled.text
    assert asked == [platform.platform.runtimes["finance_match"].settings.finance_match_feed_page_max] == [500]
    document = (await platform.gateway.get("/openapi.json")).json()
    checked: list[str] = []
    wrong: list[str] = []
    for template, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        for parameter in operation.get("parameters", []):
            if parameter.get("in") != "query" or parameter["name"] not in ("limit", "page_size", "size", "per_page"):
                continue
            where = f"GET {template} {parameter['name']}"
            if (template, parameter["name"]) in CLAMPED:
                continue
            maximum = non_null(document, parameter.get("schema", {})).get("maximum")
            if maximum is None:
                wrong.append(f"{where}: no maximum")
                continue
            path = template
            for other in operation.get("parameters", []):
                if other.get("in") == "path":
                    path = path.replace("{" + other["name"] + "}", "x")
            response = await admin.get(path, params={parameter["name"]: int(maximum) + 1})
            checked.append(where)
            if response.status_code != 422 or parameter["name"] not in problem_fields(response):
                wrong.append(f"{where}: {response.status_code} for {int(maximum) + 1}")
    assert len(checked) >= 10, checked
    assert wrong == []


async def test_every_service_route_refuses_a_call_that_bypasses_the_gateway(platform: RunningPlatform) -> None:
    """API2/API9: the services listen on their own ports (0.0.0.0 in deploy/k8s); each operation of
    each service's own OpenAPI answers 401 to a call without the gateway's signed identity or with
    one signed by another key — not only the routes the gateway happens to expose."""
    forged = sign_identity(Principal(Role.ADMIN, None, "forged"), "not-the-platform-key-" * 3)
    checked = 0
    wrong: list[str] = []
    for name, app in platform.platform.service_apps.items():
        document = app.openapi()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as direct:
            for template, item in document["paths"].items():
                for method in item:
                    if method not in ("get", "post", "put", "patch", "delete") or (method.upper(), template) in PUBLIC:
                        continue
                    path = template.replace("{", "").replace("}", "")
                    for headers in ({}, {IDENTITY_HEADER: forged}):
                        response = await direct.request(method.upper(), path, headers=headers, json={})
                        checked += 1
                        if response.status_code != 401:
                            where = f"{name} {method.upper()} {template} {sorted(headers)}"
                            wrong.append(f"{where}: {response.status_code}")
    assert checked >= 100, checked
    assert wrong == []


async def test_webhook_hosts_are_resolved_and_internal_ones_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """API7 SSRF, with private webhook URLs refused (the distributed default): not only literal
    internal addresses, but names resolving to one, numeric forms of 127.0.0.1, the shared range
    where a cloud keeps its metadata service, and names that do not resolve."""
    resolved = {"rebind.attacker.example": "127.0.0.1", "metadata.attacker.example": "100.100.100.200",
                "hooks.bank.example": "93.184.216.34", "v6.attacker.example": "::ffff:10.0.0.7"}  # fmt: skip
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in resolved:
            family = socket.AF_INET6 if ":" in resolved[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (resolved[host], port))]
        if isinstance(host, str) and host.endswith(".example"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, port, *args, **kwargs)  # numeric forms: the system resolver

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)  # the event loop's resolver calls it
    internal = ["http://rebind.attacker.example/hook", "https://metadata.attacker.example/latest/meta-data",
                "http://v6.attacker.example/x", "http://2130706433/hook", "http://0x7f.1/hook",
                "http://100.100.100.200/latest", "http://[::ffff:127.0.0.1]/x",
                "http://nowhere.example/hook"]  # fmt: skip
    async with running_platform(tmp_path, finance_match_demo=False, finance_match_webhook_allow_private_urls=False,
                                notifications_webhook_allow_private_urls=False, **LIMITS) as running:  # fmt: skip
        admin = await running.client(Role.ADMIN)
        assert (await admin.post(f"{FINANCE}/banks", json=bank_body("bank-a", ["5301"]))).status_code == 201
        bank = await running.client(Role.BANK, "bank-a")
        uscc = enterprise(1)["uscc"]
        owner = await running.client(Role.ENTERPRISE, uscc)
        routes = [(bank, f"{FINANCE}/feed/webhooks"), (owner, "/api/v1/notifications/webhooks")]
        for client, route in routes:
            for url in internal:
                refused = await client.post(route, json={"url": url})
                assert refused.status_code == 422, (route, url, refused.text)
                assert refused.json()["code"] in ("bad-url", "bad-webhook-url"), refused.text
            accepted = await client.post(route, json={"url": "https://hooks.bank.example/srdi"})
            assert accepted.status_code == 201, (route, accepted.text)
            listed = (await client.get(route)).json()
            items = listed["data"] if isinstance(listed, dict) and "data" in listed else listed
            assert [s["url"] for s in items] == ["https://hooks.bank.example/srdi"], listed


async def test_no_origin_is_granted_cross_origin_access(platform: RunningPlatform) -> None:
    """API8: no CORS grant for any origin (a page elsewhere cannot read answers in a browser), and
    logging in sets no cookie: the credential is a bearer token a cross-site request does not carry."""
    key = await platform.key(Role.ADMIN)
    evil = "https://evil.example"
    preflight = await platform.gateway.options("/api/v1/registry/enterprises", headers={
        "Origin": evil, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})  # fmt: skip
    read = await platform.gateway.get("/api/v1/registry/enterprises",
                                      headers={"Origin": evil, "Authorization": f"Bearer {key}"})  # fmt: skip
    assert read.status_code == 200
    for response in (preflight, read):
        granted = [h for h in response.headers if h.lower().startswith("access-control-allow")]
        assert granted == [], (response.status_code, granted)
    admin = await platform.client(Role.ADMIN)
    user = {"username": "csrf-check", "password": "a-long-passphrase-1", "role": "provincial_operator",
            "tenant": "53", "name": "省工信厅"}  # fmt: skip
    assert (await admin.post("/api/v1/gateway/users", json=user)).status_code == 201
    login = await platform.gateway.post("/api/v1/gateway/login", json={"username": user["username"],
                                                                        "password": user["password"]})  # fmt: skip
    assert login.status_code == 200, login.text
    assert "set-cookie" not in login.headers


async def test_every_write_is_audited_with_who_tenant_what_when_and_request_id(platform: RunningPlatform) -> None:
    """Accepted, refused and anonymous writes each leave one audit row; reads leave none."""
    admin = await platform.client(Role.ADMIN)
    operator = await platform.client(Role.PREFECTURE_OPERATOR, "5301")
    body = enterprise(51)
    stranger = await platform.client(Role.ENTERPRISE, enterprise(52)["uscc"])
    before = datetime.now(UTC) - timedelta(seconds=1)
    accepted = await operator.post("/api/v1/registry/enterprises", json=body, headers={"X-Request-ID": "audit-ok"})
    assert accepted.status_code == 201, accepted.text
    refused = await stranger.patch(f"/api/v1/registry/enterprises/{body['uscc']}", json={"name": "改名"},
                                   headers={"X-Request-ID": "audit-refused"})  # fmt: skip
    assert refused.status_code in (403, 404, 428), refused.text
    anonymous = await platform.gateway.post("/api/v1/finance/needs", json={}, headers={"X-Request-ID": "audit-anon"})
    assert anonymous.status_code == 401
    read = await operator.get("/api/v1/registry/enterprises", headers={"X-Request-ID": "audit-read"})
    assert read.status_code == 200
    after = datetime.now(UTC) + timedelta(seconds=1)

    items = (await admin.get("/api/v1/gateway/audit")).json()["items"]
    by_id = {item["request_id"]: item for item in items}
    assert "audit-read" not in by_id
    expected = {
        "audit-ok": ("prefecture_operator", "5301", "POST", "/api/v1/registry/enterprises", 201),
        "audit-refused": ("enterprise", enterprise(52)["uscc"], "PATCH",
                          f"/api/v1/registry/enterprises/{body['uscc']}", refused.status_code),
        "audit-anon": (None, None, "POST", "/api/v1/finance/needs", 401),
    }  # fmt: skip
    for request_id, (role, tenant, method, path, status) in expected.items():
        entry = by_id[request_id]
        assert (entry["role"], entry["tenant"], entry["method"], entry["path"], entry["status"]) == (
            role, tenant, method, path, status), entry  # fmt: skip
        assert entry["subject"] == "anonymous" if role is None else entry["subject"].startswith("key:"), entry
        at = datetime.fromisoformat(entry["at"])
        assert before <= (at if at.tzinfo else at.replace(tzinfo=UTC)) <= after, entry
    scoped = (await admin.get("/api/v1/gateway/audit", params={"tenant": "5301"})).json()["items"]
    assert [item["request_id"] for item in scoped] == ["audit-ok"]


async def test_an_upload_over_its_limit_is_413_and_starts_no_import(tmp_path: Path) -> None:
    """API4: uploads have their own, larger limit (GATEWAY_MAX_UPLOAD_BYTES); beyond it nothing
    reaches the registry, while JSON calls keep the smaller one."""
    async with running_platform(tmp_path, gateway_max_upload_bytes=64 * 1024, gateway_max_body_bytes=4096,
                                registry_import_dir=tmp_path / "imports", **LIMITS) as running:  # fmt: skip
        admin = await running.client(Role.ADMIN)
        big = await admin.post("/api/v1/registry/imports", files={"file": ("big.csv", b"a," * 40_000, "text/csv")})
        assert big.status_code == 413 and big.json()["code"] == "body-too-large", big.text
        async with running.platform.runtimes["registry"].uow() as uow:
            assert list(await uow.session.exec(select(ImportJob))) == []
        json_call = await admin.post("/api/v1/registry/enterprises", json=enterprise(61, name="x" * 5000))
        assert json_call.status_code == 413


class Redirecting(ThreadingHTTPServer):
    """Answers every POST with 307 to ``target`` (a receiver an attacker would like to reach)."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(307)
                self.send_header("location", target)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


async def test_a_webhook_receiver_cannot_redirect_a_delivery_elsewhere(tmp_path: Path) -> None:
    """API7: the sender follows no redirect, so a public receiver cannot bounce a delivery (and its
    signed body) to an internal address; the attempt is recorded as failed."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}")
    metadata = MetaData()
    tables = wh.webhook_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    with WebhookReceiver() as internal:
        server = Redirecting(internal.url)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            host, port = server.server_address[:2]
            async with engine.begin() as conn:
                sub = await wh.create_subscription(conn, tables, owner="bank-a", url=f"http://{host!s}:{port}/hook",
                                                   event_types=["need.posted"])  # fmt: skip
                [delivery_id] = await wh.enqueue(conn, tables, owner="bank-a", event_type="need.posted",
                                                 message_id="msg_r", payload={"need_id": "n-1"})  # fmt: skip
            worker = wh.WebhookWorker(engine, tables, schedule=(0, 60), poll_seconds=0.02)
            assert await worker.deliver_due() == 1
            await worker.aclose()
        finally:
            server.shutdown()
            server.server_close()
        assert internal.all() == []
    async with engine.connect() as conn:
        [delivery] = await wh.list_deliveries(conn, tables, sub["id"])
        attempts = await wh.list_attempts(conn, tables, delivery_id)
    await engine.dispose()
    assert delivery["state"] != wh.SUCCEEDED
    assert [(a["status_code"], a["error"]) for a in attempts] == [(307, "HTTP 307")]
