"""The gateway's outermost layer (pure ASGI): request id, body size limit, access log, audit log.

- Request id: a caller's ``X-Request-ID`` is kept when it is a sane token, else a new one is made;
  it is written back into the request so the inner layers, every upstream and the response carry it.
- Body limit: the body is read up to the limit before the app sees it; beyond it (or a larger
  ``Content-Length``) the answer is 413 problem+json and nothing reaches a service.
- Access log: one line per request (method, path, status, duration, role, subject, request id).
- Audit: every write (POST/PUT/PATCH/DELETE under /api/) is recorded with who, tenant, what, when.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.persistence.audit import new_entry, record
from shared.logs import bind_trace
from shared.problems import PROBLEM_JSON, Problem

log = logging.getLogger("srdi.gateway.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(Exception):
    pass


class GatewayEdge:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, path: str) -> int:
        return self.max_upload_bytes if path.rstrip("/").endswith("/imports") else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
        offered = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _SANE_ID.match(offered) else secrets.token_hex(8)
        scope = dict(scope, headers=[*headers, (b"x-request-id", request_id.encode())])
        # One state dict for the whole request: inner middlewares copy the scope, and the principal the
        # routes store in it must still be visible here for the access and audit logs.
        scope.setdefault("state", {})
        method, path = scope["method"], scope["path"]
        status = {"code": 0}

        async def send_tracking(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with bind_trace(None, request_id):
            try:
                body_receive = await self._buffered(scope, receive)
            except BodyTooLarge:
                await self._too_large(scope, send_tracking, request_id)
            else:
                await self.app(scope, body_receive, send_tracking)
            state: dict[str, Any] = scope.get("state", {})
            principal = state.get("principal")
            elapsed_ms = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            address = client[0] if client else None
            log.info(
                "%s %s %s %.1fms role=%s subject=%s client=%s", method, path, status["code"], elapsed_ms,
                getattr(principal, "role", "-"), getattr(principal, "subject", "-"), address,
            )  # fmt: skip
            if method in WRITE_METHODS and path.startswith("/api/"):
                await self._audit(scope, principal, method, path, status["code"], request_id, address)

    async def _buffered(self, scope: Scope, receive: Receive) -> Receive:
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # a disconnect: let the app see an empty body and the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        limit = self.limit_for(scope["path"])
        problem = Problem(
            413, "body-too-large", "Request body too large", "请求体过大",
            detail=f"at most {limit} bytes are accepted here", detail_zh=f"此接口最多接受 {limit} 字节",
        )  # fmt: skip
        body = json.dumps(problem.body(scope["path"]), ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode()), (b"connection", b"close"),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def _audit(
        self, scope: Scope, principal: Any, method: str, path: str, status: int, request_id: str, client: str | None
    ) -> None:
        app = scope.get("app")
        runtime = getattr(getattr(app, "state", None), "runtime", None)
        if runtime is None:
            return
        subject = getattr(principal, "subject", "anonymous")
        role = getattr(principal, "role", None)
        entry = new_entry(
            subject, str(role) if role else None, getattr(principal, "tenant", None), method, path, status,
            request_id, client,
        )  # fmt: skip
        try:
            async with runtime.uow() as uow:
                await record(uow, entry)
        except Exception:
            logging.getLogger(__name__).exception("audit write failed for %s %s (%s)", method, path, request_id)
