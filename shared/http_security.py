"""HTTP hardening every service gets from ``add_service_defaults`` (one call, :func:`install`):

- input limits before any route runs (``shared.request_limits``);
- ``/metrics`` only for the configured networks (default: loopback) or with the metrics key
  (``SRDI_METRICS_ALLOWED_NETWORKS`` as JSON, ``SRDI_METRICS_KEY`` sent as ``Authorization: Bearer …``
  or ``X-Metrics-Key``); anyone else gets a 404, as if nothing were there;
- security headers on every response: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``
  and CSP ``frame-ancestors 'none'``, ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``
  on API responses (they carry personal and tenant data) unless the route set its own, and
  ``Strict-Transport-Security`` when ``SRDI_TLS_TERMINATED=true`` (TLS ends in front of us);
- no ``Server`` header from the app (uvicorn's own is switched off where uvicorn is started).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import Problem, send_problem
from shared.request_limits import RequestLimitsMiddleware

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_REPLACED = {name for name, _ in _ALWAYS} | {b"server", _HSTS[0]}


def _settings(scope: Scope) -> Any:
    app = scope.get("app")
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    return getattr(runtime, "settings", None)


def metrics_allowed(scope: Scope, settings: Any) -> bool:
    key = getattr(settings, "metrics_key", "") if settings is not None else ""
    if key:
        headers = dict(scope.get("headers", []))
        sent = headers.get(b"x-metrics-key", b"").decode(errors="replace")
        authorization = headers.get(b"authorization", b"").decode(errors="replace")
        if authorization.lower().startswith("bearer "):
            sent = sent or authorization[7:].strip()
        if sent and hmac.compare_digest(sent.encode(), key.encode()):
            return True
    networks = getattr(settings, "metrics_allowed_networks", None) or ["127.0.0.0/8", "::1/128"]
    client = scope.get("client")
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = _settings(scope)
        if scope.get("path") == "/metrics" and not metrics_allowed(scope, settings):
            await send_problem(send, Problem(404, "not-found", "Not found", "未找到"), "/metrics")
            return
        api = scope.get("path", "").startswith("/api/")
        hsts = bool(getattr(settings, "tls_terminated", False))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                headers += _ALWAYS
                if hsts:
                    headers.append(_HSTS)
                if api and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    app.add_middleware(RequestLimitsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
