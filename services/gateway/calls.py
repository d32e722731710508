"""The gateway calling services on a caller's behalf (integration API, dashboard): the caller's
signed identity, the request id, and the same breaker/deadline/retry path as the proxy. A service
that fails or does not have the endpoint yet gives ``None`` with a reason — never a 500."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.gateway.upstreams import Upstreams
from shared.identity import IDENTITY_HEADER, Principal, sign_identity
from shared.logs import current_traceparent, request_id_var
from shared.problems import Problem


@dataclass(frozen=True)
class Fetched:
    status: int
    body: Any = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def unavailable(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason or "unavailable"}


async def fetch_json(
    request: Request, caller: Principal, prefix: str, path: str, params: dict[str, Any] | None = None
) -> Fetched:
    upstreams: Upstreams = request.app.state.upstreams
    client = upstreams.client_for(prefix)
    if client is None:
        return Fetched(503, reason=f"no {prefix} service configured / 未配置 {prefix} 服务")
    settings = request.app.state.runtime.settings
    headers = {
        IDENTITY_HEADER: sign_identity(caller, settings.internal_signing_key, settings.identity_ttl_seconds),
        "X-Request-ID": request_id_var.get() or "",
        "traceparent": current_traceparent() or "",
        "Accept": "application/json",
    }
    try:
        response = await upstreams.send(prefix, client.build_request("GET", path, params=params, headers=headers))
    except Problem as problem:
        return Fetched(problem.status, reason=f"{problem.title} / {problem.title_zh}")
    if response.status_code >= 300:
        reason = ""
        try:
            body = response.json()
            reason = f"{body.get('title', '')} / {body.get('title_zh', '')}".strip(" /")
        except ValueError:
            pass
        return Fetched(response.status_code, reason=reason or f"HTTP {response.status_code}")
    try:
        return Fetched(response.status_code, response.json())
    except ValueError:
        return Fetched(502, reason="not JSON / 非 JSON 响应")


async def fetch_all(request: Request, caller: Principal, calls: dict[str, tuple[str, str]]) -> dict[str, Fetched]:
    """Several calls at once: {name: (prefix, path)}."""
    names = list(calls)
    results = await asyncio.gather(*(fetch_json(request, caller, *calls[name]) for name in names))
    return dict(zip(names, results, strict=True))
